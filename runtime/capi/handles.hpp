// handles.hpp: what the C API's opaque handles hold, and the one place where
// C++ exceptions are turned into fsvae_status (no exception may cross the C
// boundary: every exported function runs its body through guarded()).
#pragma once

#include <fsvae/fsvae.h>

#include <cstddef>
#include <memory>
#include <new>
#include <string>

#include "../engine.hpp"
#include "../error.hpp"

// The model handle owns a reference to the Engine (which owns the Model), so
// sessions can take their own reference and outlive the caller's handle.
struct fsvae_model {
    std::shared_ptr<const fsvae::Engine> engine;
};

struct fsvae_session {
    explicit fsvae_session(std::shared_ptr<const fsvae::Engine> e)
        : engine(std::move(e)), ws(*engine) {}

    std::shared_ptr<const fsvae::Engine> engine;  // declared before ws: ws refers to it
    fsvae::Workspace ws;        // single-threaded work and step-by-step runs
    fsvae::Counters batch;      // counters of multi-threaded batches (their own workspaces)
    uint64_t seed = 0;
    uint32_t threads = 0;
    bool begun = false;         // a begin_*() since the last batch call
    std::string last_error;
};

namespace fsvae::capi {

// The sizes of the versioned structs' first version (0.1): the fields up to
// and including the last one it had. Fields added later go after them.
constexpr size_t kModelInfoV1Size = offsetof(fsvae_model_info, isa) + sizeof(const char*);
constexpr size_t kOptionsV1Size = offsetof(fsvae_session_options, seed) + sizeof(uint64_t);

// Records a failure for the thread and, if given, the session; returns status.
// Never throws: a message that cannot be stored is replaced by a fixed one.
fsvae_status fail(fsvae_session* session, fsvae_status status, const char* message) noexcept;

// Runs body() (returning fsvae_status) and maps any exception to a status:
// fsvae::Error to `error_status` (its message is already one line for the
// user), bad_alloc to out-of-memory, anything else to internal.
template <class Body>
fsvae_status guarded(fsvae_session* session, fsvae_status error_status, Body&& body) noexcept {
    try {
        return body();
    } catch (const fsvae::Error& e) {
        return fail(session, error_status, e.what());
    } catch (const std::bad_alloc&) {
        return fail(session, FSVAE_ERROR_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception& e) {
        return fail(session, FSVAE_ERROR_INTERNAL, e.what());
    } catch (...) {
        return fail(session, FSVAE_ERROR_INTERNAL, "unknown exception");
    }
}

}  // namespace fsvae::capi
