// atomic_file.hpp: outputs are written to a temporary file beside the target
// and renamed into place only when complete, so a failure (bad path, disk
// full) never leaves a partial file or destroys an existing one.
#pragma once

#include <cstddef>
#include <string>

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

private:
    std::string path_, tmp_;
    int fd_ = -1;
    bool committed_ = false;
};

// Writes a whole file atomically.
void write_file_atomic(const std::string& path, const void* data, size_t size);

}  // namespace fsvae
