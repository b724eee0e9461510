// fuzz_driver.cpp: the libFuzzer entry point, built once per target with
// FSVAE_FUZZ_TARGET naming which body of fuzz_entries.hpp it runs. A broken
// promise aborts, which libFuzzer records as a crash with its input.
#include <cstdio>
#include <cstdlib>

#include "fuzz_entries.hpp"

namespace {

std::string run(const uint8_t* data, size_t size) {
    using namespace fsvae::fuzz;
#if FSVAE_FUZZ_TARGET == 0
    return model_bytes(data, size);
#elif FSVAE_FUZZ_TARGET == 1
    return model_edits(data, size);
#elif FSVAE_FUZZ_TARGET == 2
    return image_bytes(ImageFormat::Idx, data, size);
#elif FSVAE_FUZZ_TARGET == 3
    return image_bytes(ImageFormat::Png, data, size);
#elif FSVAE_FUZZ_TARGET == 4
    return image_bytes(ImageFormat::Npy, data, size);
#else
#error "FSVAE_FUZZ_TARGET must be 0..4"
#endif
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string broken = run(data, size);
    if (!broken.empty()) {
        std::fprintf(stderr, "fsvae fuzz: %s\n", broken.c_str());
        std::abort();
    }
    return 0;
}
