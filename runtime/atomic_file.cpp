// atomic_file.cpp: temp file + fsync + rename(2).
#include "atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "error.hpp"

namespace fsvae {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
    const size_t slash = path_.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash + 1);
    const std::string base = slash == std::string::npos ? path_ : path_.substr(slash + 1);
    if (base.empty()) throw Error(path_ + ": output path names a directory, not a file");
    std::string templ = (slash == std::string::npos ? std::string() : dir) + "." + base + ".tmp-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    fd_ = mkstemp(buf.data());
    if (fd_ < 0) throw Error(path_ + ": cannot write output: " + std::strerror(errno));
    tmp_ = buf.data();
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) close(fd_);
    if (!committed_ && !tmp_.empty()) unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd_, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(path_ + ": cannot write output: " + std::strerror(errno));
        }
        p += n;
        size -= size_t(n);
    }
}

void AtomicFile::commit() {
    if (fsync(fd_) != 0) throw Error(path_ + ": cannot write output: " + std::strerror(errno));
    // mkstemp creates 0600; give the file the permissions a plain create would.
    const mode_t mask = umask(0);
    umask(mask);
    fchmod(fd_, 0666 & ~mask);
    const int fd = fd_;
    fd_ = -1;
    if (close(fd) != 0) throw Error(path_ + ": cannot write output: " + std::strerror(errno));
    if (rename(tmp_.c_str(), path_.c_str()) != 0)
        throw Error(path_ + ": cannot write output: " + std::strerror(errno));
    committed_ = true;
}

void write_file_atomic(const std::string& path, const void* data, size_t size) {
    AtomicFile f(path);
    f.write(data, size);
    f.commit();
}

}  // namespace fsvae
