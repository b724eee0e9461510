// unprivileged.cpp: see unprivileged.hpp.
#include "unprivileged.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <stdexcept>

namespace fsvae::test {

std::string run_in_child(const std::function<std::string()>& body, bool* ok) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        close(fds[0]);
        std::string msg;
        try {
            msg = body();
        } catch (const std::exception& e) {
            msg = std::string("exception: ") + e.what();
        } catch (...) {
            msg = "unknown exception";
        }
        const char* p = msg.data();
        size_t left = msg.size();
        while (left > 0) {
            const ssize_t n = write(fds[1], p, left);
            if (n <= 0) _exit(2);
            p += n;
            left -= size_t(n);
        }
        close(fds[1]);
        _exit(0);
    }
    close(fds[1]);
    std::string msg;
    char buf[512];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) msg.append(buf, size_t(n));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    *ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return msg;
}

UnprivilegedRun run_unprivileged(const std::string& denied_path, int access_mode,
                                 const std::function<std::string()>& check) {
    // The child's report: one byte (1: ran, 0: could not), then the text.
    auto report = [](char ran, const std::string& text) {
        std::string m(1, ran);
        m += text;
        return m;
    };
    bool ok = false;
    const std::string msg = run_in_child(
        [&]() -> std::string {
            if (geteuid() == 0) {
                const passwd* pw = getpwnam("nobody");
                if (!pw) return report(0, "running as root and there is no user nobody to drop to");
                if (setgroups(0, nullptr) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
                    return report(0, std::string("cannot drop to nobody: ") + std::strerror(errno));
            }
            if (access(denied_path.c_str(), access_mode) == 0)
                return report(0, "user " + std::to_string(getuid()) + " is not refused " + denied_path);
            return report(1, check());
        },
        &ok);
    UnprivilegedRun r;
    if (!ok || msg.empty()) {
        r.why = "the unprivileged child failed";
        r.ran = true;  // a failure to report, not a skip
        r.result = r.why;
        return r;
    }
    r.ran = msg[0] == 1;
    (r.ran ? r.result : r.why) = msg.substr(1);
    return r;
}

void let_others_through(const std::string& dir) {
    if (chmod(dir.c_str(), 0711) != 0) throw std::runtime_error(dir + ": chmod failed");
}

}  // namespace fsvae::test
