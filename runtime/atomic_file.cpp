// atomic_file.cpp: temp file + fsync + rename(2); sets of them with rollback.
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

void AtomicFile::finish() {
    if (fsync(fd_) != 0) throw Error(path_ + ": cannot write output: " + std::strerror(errno));
    // mkstemp creates 0600; give the file the permissions a plain create would.
    const mode_t mask = umask(0);
    umask(mask);
    fchmod(fd_, 0666 & ~mask);
    const int fd = fd_;
    fd_ = -1;
    if (close(fd) != 0) throw Error(path_ + ": cannot write output: " + std::strerror(errno));
}

void AtomicFile::rename_into_place() {
    if (rename(tmp_.c_str(), path_.c_str()) != 0)
        throw Error(path_ + ": cannot write output: " + std::strerror(errno));
    committed_ = true;
}

void AtomicFile::commit() {
    finish();
    rename_into_place();
}

void write_file_atomic(const std::string& path, const void* data, size_t size) {
    AtomicFile f(path);
    f.write(data, size);
    f.commit();
}

// ---- AtomicFileSet ------------------------------------------------------------

AtomicFileSet::~AtomicFileSet() = default;

AtomicFile& AtomicFileSet::add(std::string path) {
    Entry e;
    e.file = std::make_unique<AtomicFile>(std::move(path));
    entries_.push_back(std::move(e));
    return *entries_.back().file;
}

// Keeps the target's current bytes under a second name beside it (same
// directory, so the rename back cannot cross file systems): a hard link, so
// the target stays in place; where links are refused, the target moved aside.
void AtomicFileSet::keep_existing(Entry& e) {
    const std::string& target = e.file->path();
    struct stat st;
    if (lstat(target.c_str(), &st) != 0) return;  // nothing there (or the rename will say why)
    if (S_ISDIR(st.st_mode)) return;               // the rename fails on it; nothing to keep
    const std::string backup = e.file->temporary() + ".old";
    if (link(target.c_str(), backup.c_str()) == 0) {
        e.backup = backup;
        return;
    }
    if (rename(target.c_str(), backup.c_str()) != 0)
        throw Error(target + ": cannot write output: cannot keep the existing file while replacing it: " +
                    std::strerror(errno));
    e.backup = backup;
    e.moved = true;
}

void AtomicFileSet::roll_back() {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
        const std::string& target = it->file->path();
        if (it->renamed || it->moved) {
            if (!it->backup.empty())
                rename(it->backup.c_str(), target.c_str());
            else
                unlink(target.c_str());
        } else if (!it->backup.empty()) {
            unlink(it->backup.c_str());
        }
        it->backup.clear();
    }
}

void AtomicFileSet::commit() {
    // Everything that can fail before a rename happens first, for every file.
    for (Entry& e : entries_) e.file->finish();
    for (size_t i = 0; i < entries_.size(); ++i) {
        Entry& e = entries_[i];
        try {
            // The last rename is the commit point: nothing after it can fail,
            // so what it replaces need not be kept.
            if (i + 1 < entries_.size()) keep_existing(e);
            e.file->rename_into_place();
            e.renamed = true;
        } catch (...) {
            roll_back();
            throw;
        }
    }
    for (Entry& e : entries_)
        if (!e.backup.empty()) unlink(e.backup.c_str());
}

}  // namespace fsvae
