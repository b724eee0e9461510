// capi_support.cpp: fixtures for the C API tests.
#include "capi_support.hpp"

#include <fstream>
#include <stdexcept>

namespace fsvae_capi_test {

AlignedBytes read_model_bytes() {
    std::ifstream in(model_path(), std::ios::binary | std::ios::ate);
    if (!in) throw std::runtime_error(std::string("cannot read ") + model_path());
    AlignedBytes b;
    b.size = size_t(in.tellg());
    b.words.resize((b.size + 7) / 8);
    in.seekg(0);
    in.read(reinterpret_cast<char*>(b.words.data()), std::streamsize(b.size));
    return b;
}

const fsvae_model* shared_model() {
    static ModelPtr m = [] {
        fsvae_model* p = nullptr;
        if (fsvae_model_load_file(model_path(), &p) != FSVAE_OK)
            throw std::runtime_error(fsvae_last_error());
        return ModelPtr(p);
    }();
    return m.get();
}

fsvae_model_info shared_info() {
    fsvae_model_info i = FSVAE_MODEL_INFO_INIT;
    fsvae_model_get_info(shared_model(), &i);
    return i;
}

SessionPtr make_session(const fsvae_model* model, uint32_t threads, uint64_t seed) {
    fsvae_session_options o = FSVAE_SESSION_OPTIONS_INIT;
    o.threads = threads;
    o.seed = seed;
    fsvae_session* s = nullptr;
    if (fsvae_session_create(model, &o, &s) != FSVAE_OK) throw std::runtime_error(fsvae_last_error());
    return SessionPtr(s);
}

}  // namespace fsvae_capi_test
