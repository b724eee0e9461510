// errors.cpp: status names, the per-thread and per-session error messages,
// and the library version.
#include "handles.hpp"

namespace fsvae::capi {
namespace {

// A thread's message lives in a thread_local string; should storing it fail
// (out of memory), `lost` makes fsvae_last_error() say so instead.
thread_local std::string t_message;
thread_local bool t_lost = false;

}  // namespace

fsvae_status fail(fsvae_session* session, fsvae_status status, const char* message) noexcept {
    try {
        t_message = message;
        t_lost = false;
    } catch (...) {
        t_lost = true;
    }
    if (session) {
        try {
            session->last_error = message;
        } catch (...) {
            session->last_error.clear();
        }
    }
    return status;
}

}  // namespace fsvae::capi

extern "C" {

const char* fsvae_status_string(fsvae_status status) {
    switch (status) {
        case FSVAE_OK: return "ok";
        case FSVAE_END: return "end: all time steps have run";
        case FSVAE_ERROR_INVALID_ARGUMENT: return "invalid argument";
        case FSVAE_ERROR_IO: return "cannot read the model file";
        case FSVAE_ERROR_INVALID_MODEL: return "invalid model";
        case FSVAE_ERROR_OUT_OF_MEMORY: return "out of memory";
        case FSVAE_ERROR_BAD_STATE: return "call does not fit the session's state";
        case FSVAE_ERROR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

const char* fsvae_last_error(void) {
    if (fsvae::capi::t_lost) return "out of memory (the error message could not be stored)";
    return fsvae::capi::t_message.c_str();
}

// The header's version macros are the one source (CMake checks they match
// the project version).
#define FSVAE_STR2(x) #x
#define FSVAE_STR(x) FSVAE_STR2(x)
const char* fsvae_version(void) {
    return FSVAE_STR(FSVAE_VERSION_MAJOR) "." FSVAE_STR(FSVAE_VERSION_MINOR) "." FSVAE_STR(
        FSVAE_VERSION_PATCH);
}

const char* fsvae_session_last_error(const fsvae_session* session) {
    return session ? session->last_error.c_str() : "";
}

}  // extern "C"
