// unprivileged.hpp: running a check in a child process, and as a user that
// file permissions apply to.
// Root reads and writes anything, so a test of EACCES run as root (as CI
// runs) would pass without testing anything. As root the check runs in a
// child process that has dropped to nobody (65534); as another user it runs
// in a child as that user.
#pragma once

#include <functional>
#include <string>

namespace fsvae::test {

// Runs `body` in a forked child process and returns the text it returned
// (an exception's message, if it threw); *ok is false if the child did not
// exit cleanly. The child never returns into the test.
std::string run_in_child(const std::function<std::string()>& body, bool* ok);

struct UnprivilegedRun {
    bool ran = false;    // false: no such user could be had; `why` says why
    std::string why;
    std::string result;  // what the check returned
};

// Runs `check` in a child process as an unprivileged user, once that user is
// known to be refused `access_mode` (access(2): R_OK, W_OK...) on
// `denied_path`; ran is false where no user is refused it (no nobody, root
// that cannot drop, or a user with capabilities that bypass permissions).
UnprivilegedRun run_unprivileged(const std::string& denied_path, int access_mode,
                                 const std::function<std::string()>& check);

// Lets other users through `dir` (a TempDir is 0700): o+x, not o+r.
void let_others_through(const std::string& dir);

}  // namespace fsvae::test
