// atomic_file.hpp: outputs are written to a temporary file beside the target
// and renamed into place only when complete, so a failure (bad path, disk
// full) never leaves a partial file or destroys an existing one.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace fsvae {

class AtomicFile {
public:
    // Creates the temporary file; throws fsvae::Error naming `path` on failure.
    explicit AtomicFile(std::string path);
    ~AtomicFile();  // removes the temporary file unless commit() succeeded
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    // Throws fsvae::Error naming the target path if the write fails.
    void write(const void* data, size_t size);
    // Flushes, syncs and renames into place; throws on failure.
    void commit();

    // commit() in two halves, for AtomicFileSet: finish() syncs and closes
    // the temporary, rename_into_place() renames it over the target.
    void finish();
    void rename_into_place();
    const std::string& path() const { return path_; }
    const std::string& temporary() const { return tmp_; }

private:
    std::string path_, tmp_;
    int fd_ = -1;
    bool committed_ = false;
};

// Writes a whole file atomically.
void write_file_atomic(const std::string& path, const void* data, size_t size);

// The outputs of one command, committed together or not at all: every
// temporary is created and written first; commit() renames them into place
// in order and, if a rename fails, puts back what the earlier ones replaced
// (an existing target is kept under a hard link, or moved aside where links
// are not allowed, until the last rename succeeds). Destroyed without a
// successful commit(), it leaves every target as it was.
class AtomicFileSet {
public:
    AtomicFileSet() = default;
    ~AtomicFileSet();
    AtomicFileSet(const AtomicFileSet&) = delete;
    AtomicFileSet& operator=(const AtomicFileSet&) = delete;

    // A new output; its temporary is created now (throws as AtomicFile does).
    AtomicFile& add(std::string path);
    // Throws fsvae::Error naming the output that failed, after the rollback.
    void commit();

private:
    struct Entry {
        std::unique_ptr<AtomicFile> file;
        std::string backup;  // the replaced target's bytes, while the set commits
        bool moved = false;  // backup is the target moved aside (no target meanwhile)
        bool renamed = false;
    };
    void keep_existing(Entry& e);
    void roll_back();
    std::vector<Entry> entries_;
};

}  // namespace fsvae
