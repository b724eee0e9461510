// capi_support.hpp: fixtures for the C API tests, which see the library only
// through include/fsvae/fsvae.h (they link the shared library, whose other
// symbols are hidden): the bundled model's path and bytes, RAII holders for
// the handles, and byte comparison of float buffers.
#pragma once

#include <fsvae/fsvae.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace fsvae_capi_test {

inline const char* model_path() { return FSVAE_TEST_MODEL; }

// The model file's bytes, 8-byte aligned (the C API's requirement for
// buffers); `size` bytes are valid.
struct AlignedBytes {
    std::vector<uint64_t> words;
    size_t size = 0;
    const void* data() const { return words.data(); }
    uint8_t* bytes() { return reinterpret_cast<uint8_t*>(words.data()); }
};
AlignedBytes read_model_bytes();

struct ModelFree {
    void operator()(fsvae_model* m) const { fsvae_model_free(m); }
};
struct SessionFree {
    void operator()(fsvae_session* s) const { fsvae_session_free(s); }
};
using ModelPtr = std::unique_ptr<fsvae_model, ModelFree>;
using SessionPtr = std::unique_ptr<fsvae_session, SessionFree>;

// The bundled model, loaded once per process and shared by every test (as an
// embedding application would).
const fsvae_model* shared_model();
fsvae_model_info shared_info();

SessionPtr make_session(const fsvae_model* model, uint32_t threads, uint64_t seed);

inline bool same_bytes(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace fsvae_capi_test
