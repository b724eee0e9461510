// Output failures: a full disk, a file-size limit and destinations that cannot
// be written give one clear error, and never a partial output file or a
// damaged existing one (outputs go to a temporary file renamed into place).
#include <doctest/doctest.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <limits>
#include <algorithm>

#include "../runtime/atomic_file.hpp"
#include "../runtime/error.hpp"
#include "../runtime/image_output.hpp"
#include "support.hpp"
#include "unprivileged.hpp"

using namespace fsvae;
using namespace fsvae::test;

namespace {

// 64 images of 32x32: 256 KiB as .npy, about 70 KiB as a PNG grid (the
// values are noise, so it does not compress), over the limits below.
const std::vector<float>& big_batch() {
    static const std::vector<float> v = [] {
        std::vector<float> x(64 * 32 * 32);
        uint32_t s = 1;
        for (float& f : x) {
            s = s * 1664525u + 1013904223u;
            f = float(s >> 8) / float(1u << 23) - 1.0f;
        }
        return x;
    }();
    return v;
}

// The message write_images throws ("" if it succeeded).
std::string write_error(const std::string& path) {
    try {
        write_images(path, big_batch().data(), 64, 1, 32, 32);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// Runs write_error in a child whose files may not grow past `limit` bytes
// (RLIMIT_FSIZE), with SIGXFSZ ignored so the write fails with EFBIG as on
// a full disk instead of killing the process. Returns the child's message.
std::string write_error_with_file_size_limit(const std::string& path, rlim_t limit) {
    bool ok = false;
    const std::string msg = run_in_child(
        [&]() -> std::string {
            std::signal(SIGXFSZ, SIG_IGN);
            const rlimit r{limit, limit};
            const std::string e = setrlimit(RLIMIT_FSIZE, &r) == 0 ? write_error(path) : "setrlimit failed";
            return e.empty() ? "(no error)" : e;
        },
        &ok);
    CHECK(ok);
    return msg;
}

std::vector<std::string> names_in(const std::string& dir) {
    std::vector<std::string> v;
    for (const auto& e : std::filesystem::directory_iterator(dir)) v.push_back(e.path().filename());
    std::sort(v.begin(), v.end());
    return v;
}

// A 64 KiB tmpfs for the test's life; `mounted` false where mounting is not
// allowed (not root, or no CAP_SYS_ADMIN in a container).
struct SmallTmpfs {
    TempDir dir;
    bool mounted = false;
    std::string why;
    SmallTmpfs() {
        mounted = mount("tmpfs", dir.path.c_str(), "tmpfs", 0, "size=64k") == 0;
        if (!mounted) why = std::strerror(errno);
    }
    ~SmallTmpfs() {
        if (mounted) umount2(dir.path.c_str(), MNT_DETACH);
    }
};

}  // namespace

TEST_CASE("output: a full disk (file size limit) fails cleanly and keeps the existing file") {
    TempDir dir;
    const std::string fresh = dir.file("fresh.npy");
    CHECK(write_error_with_file_size_limit(fresh, 16 * 1024) ==
          fresh + ": cannot write output: " + std::strerror(EFBIG));
    CHECK(!std::filesystem::exists(fresh));

    const std::string existing = dir.file("existing.png");
    const std::vector<uint8_t> old = {0x89, 'P', 'N', 'G', 1, 2, 3};
    write_bytes(existing, old);
    CHECK(write_error_with_file_size_limit(existing, 1024) ==
          existing + ": cannot write output: " + std::strerror(EFBIG));
    CHECK(read_bytes(existing) == old);
    CHECK(names_in(dir.path) == std::vector<std::string>{"existing.png"});  // no temporary left
}

TEST_CASE("output: a full disk (64 KiB tmpfs) fails cleanly and keeps the existing file") {
    SmallTmpfs fs;
    if (!fs.mounted) {
        MESSAGE("SKIPPED: cannot mount a tmpfs here (" << fs.why
                << "); the file-size-limit test above covers the same path");
        return;
    }
    const std::string out = fs.dir.file("out.npy");
    const std::vector<uint8_t> old(1000, 7);
    write_bytes(out, old);
    CHECK(write_error(out) == out + ": cannot write output: " + std::strerror(ENOSPC));
    CHECK(read_bytes(out) == old);
    CHECK(names_in(fs.dir.path) == std::vector<std::string>{"out.npy"});
    // Small outputs still fit: the failure freed its space.
    std::vector<float> one(32 * 32, 0.0f);
    write_images(out, one.data(), 1, 1, 32, 32);
    CHECK(read_bytes(out).size() == 128 + 4096);
}

TEST_CASE("output: destinations that cannot be written") {
    TempDir dir;
    write_bytes(dir.file("file"), {1});
    const std::string under_file = dir.file("file/out.npy");
    CHECK(write_error(under_file) == under_file + ": cannot write output: " + std::strerror(ENOTDIR));

    std::filesystem::create_directory(dir.file("taken.npy"));
    const std::string onto_dir = dir.file("taken.npy");
    CHECK(write_error(onto_dir) == onto_dir + ": cannot write output: " + std::strerror(EISDIR));
    CHECK(std::filesystem::is_directory(onto_dir));

    const std::string trailing_slash = dir.path + "/";
    CHECK_THROWS_WITH_AS(write_file_atomic(trailing_slash, "x", 1),
                         (trailing_slash + ": output path names a directory, not a file").c_str(),
                         Error);
    CHECK(names_in(dir.path) == std::vector<std::string>{"file", "taken.npy"});
}

TEST_CASE("output: a folder the user may not write, as a user without permission") {
    TempDir dir;
    let_others_through(dir.path);
    const std::string ro = dir.file("ro");
    std::filesystem::create_directory(ro);
    write_bytes(ro + "/kept.npy", {1, 2, 3});
    namespace fs = std::filesystem;
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                            fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
    const std::string fresh = ro + "/out.npy", kept = ro + "/kept.npy";
    const UnprivilegedRun r = run_unprivileged(ro, W_OK, [&] { return write_error(fresh) + "\n" + write_error(kept); });
    fs::permissions(ro, fs::perms::owner_all);
    if (!r.ran) {
        MESSAGE("SKIPPED: " << r.why);
        return;
    }
    const std::string denied = std::string(": cannot write output: ") + std::strerror(EACCES);
    CHECK(r.result == fresh + denied + "\n" + kept + denied);
    CHECK(names_in(ro) == std::vector<std::string>{"kept.npy"});
    CHECK(read_bytes(kept) == std::vector<uint8_t>{1, 2, 3});
}

TEST_CASE("output: the target appears only when complete, through a temporary beside it") {
    TempDir dir;
    const std::string target = dir.file("out.bin");
    write_bytes(target, {9, 9});
    {
        AtomicFile f(target);
        f.write("abc", 3);
        // Until commit the old file is whole and the new bytes are elsewhere,
        // in the same directory (so the rename cannot cross file systems).
        CHECK(read_bytes(target) == std::vector<uint8_t>{9, 9});
        const auto names = names_in(dir.path);
        REQUIRE(names.size() == 2);
        CHECK(names[0].rfind(".out.bin.tmp-", 0) == 0);
        f.commit();
    }
    CHECK(read_bytes(target) == std::vector<uint8_t>{'a', 'b', 'c'});
    CHECK(names_in(dir.path) == std::vector<std::string>{"out.bin"});
    {
        AtomicFile abandoned(target);
        abandoned.write("zzzz", 4);
    }  // destroyed without commit, as when an exception unwinds
    CHECK(read_bytes(target) == std::vector<uint8_t>{'a', 'b', 'c'});
    CHECK(names_in(dir.path) == std::vector<std::string>{"out.bin"});
}

namespace {

std::vector<uint8_t> bytes_of(const char* s) { return std::vector<uint8_t>(s, s + std::strlen(s)); }

}  // namespace

TEST_CASE("output: the outputs of one command are committed together or not at all") {
    TempDir dir;
    const std::string a = dir.file("a.json"), b = dir.file("b.html"), taken = dir.file("taken.html");
    {
        AtomicFileSet set;
        set.add(a).write("a1", 2);
        set.add(b).write("b1", 2);
        CHECK(!std::filesystem::exists(a));  // nothing in place before commit
        set.commit();
    }
    CHECK(read_bytes(a) == bytes_of("a1"));
    CHECK(read_bytes(b) == bytes_of("b1"));
    CHECK(names_in(dir.path) == std::vector<std::string>{"a.json", "b.html"});

    // The last rename fails (a directory is in the way) after the others
    // succeeded: they are rolled back, the files they replaced restored.
    std::filesystem::create_directory(taken);
    {
        AtomicFileSet set;
        set.add(a).write("a2", 2);
        set.add(b).write("b2", 2);
        set.add(taken).write("t2", 2);
        CHECK_THROWS_WITH_AS(set.commit(), (taken + ": cannot write output: " + std::strerror(EISDIR)).c_str(),
                             Error);
    }
    CHECK(read_bytes(a) == bytes_of("a1"));
    CHECK(read_bytes(b) == bytes_of("b1"));
    CHECK(names_in(dir.path) == std::vector<std::string>{"a.json", "b.html", "taken.html"});

    // A file that did not exist before is removed again.
    const std::string fresh = dir.file("fresh.json");
    {
        AtomicFileSet set;
        set.add(fresh).write("f", 1);
        set.add(taken).write("t3", 2);
        CHECK_THROWS_AS(set.commit(), Error);
    }
    CHECK(!std::filesystem::exists(fresh));
    CHECK(names_in(dir.path) == std::vector<std::string>{"a.json", "b.html", "taken.html"});

    // A later output that cannot even be started: nothing is renamed.
    {
        AtomicFileSet set;
        set.add(a).write("a4", 2);
        const std::string missing = dir.file("no/b.html");
        CHECK_THROWS_WITH_AS(set.add(missing),
                             (missing + ": cannot write output: " + std::strerror(ENOENT)).c_str(), Error);
    }
    CHECK(read_bytes(a) == bytes_of("a1"));
    CHECK(names_in(dir.path) == std::vector<std::string>{"a.json", "b.html", "taken.html"});

    // Abandoned without commit, as when an exception unwinds.
    {
        AtomicFileSet set;
        set.add(a).write("a5", 2);
        set.add(b).write("b5", 2);
    }
    CHECK(read_bytes(a) == bytes_of("a1"));
    CHECK(read_bytes(b) == bytes_of("b1"));
    CHECK(names_in(dir.path) == std::vector<std::string>{"a.json", "b.html", "taken.html"});
}

TEST_CASE("output: NaN and infinite values become defined pixels") {
    // Converting NaN to a byte is undefined; torch's cast gives 0.
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> v = {nan, inf, -inf, 0.0f};
    const Grid g = make_grid(v.data(), 1, 1, 2, 2, 8, 0);
    CHECK(g.pixels == std::vector<uint8_t>{0, 255, 0, 128});
}
