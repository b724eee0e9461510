// Latent trains through the C API: fsvae_read_latents() gives the z a
// step-by-step run sampled, fsvae_decode() turns trains back into images; the
// trains of an image decode to that very image, and bad trains are refused
// with nothing written.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "capi/capi_support.hpp"

using namespace fsvae_capi_test;

namespace {

size_t z_bytes() {
    const fsvae_model_info i = shared_info();
    return size_t(i.time_steps) * i.latent_dim;
}

// Image `index` step by step; its latent train into z, its image into image.
void run_steps(fsvae_session* s, uint64_t index, std::vector<uint8_t>& z, std::vector<float>& image) {
    REQUIRE(fsvae_begin_generate(s, index) == FSVAE_OK);
    while (fsvae_step(s) == FSVAE_OK) {
    }
    z.assign(z_bytes(), 7);
    image.assign(shared_info().image_floats, 0.0f);
    REQUIRE(fsvae_read_latents(s, z.data(), z.size()) == FSVAE_OK);
    REQUIRE(fsvae_read_image(s, image.data(), image.size()) == FSVAE_OK);
}

}  // namespace

TEST_CASE("capi: the latent trains of generated images decode to those images") {
    const size_t S = shared_info().image_floats, Z = z_bytes();
    for (uint32_t threads : {1u, 0u}) {
        CAPTURE(threads);
        SessionPtr s = make_session(shared_model(), threads, 11);
        std::vector<uint8_t> trains;
        std::vector<float> expected;
        for (uint64_t index : {0u, 3u, 9u}) {
            std::vector<uint8_t> z;
            std::vector<float> image;
            run_steps(s.get(), index, z, image);
            CHECK(std::all_of(z.begin(), z.end(), [](uint8_t b) { return b <= 1; }));
            CHECK(std::count(z.begin(), z.end(), 1) > 0);
            trains.insert(trains.end(), z.begin(), z.end());
            expected.insert(expected.end(), image.begin(), image.end());
        }
        std::vector<float> batch(3 * S);
        REQUIRE(fsvae_generate(s.get(), 0, 1, batch.data(), S) == FSVAE_OK);
        CHECK(same_bytes(std::vector<float>(batch.begin(), batch.begin() + long(S)),
                         std::vector<float>(expected.begin(), expected.begin() + long(S))));
        std::vector<float> decoded(3 * S, -5.0f);
        REQUIRE(fsvae_decode(s.get(), 3, trains.data(), trains.size(), decoded.data(), decoded.size()) == FSVAE_OK);
        CHECK(same_bytes(decoded, expected));

        // The train decides the image: another train, another image.
        std::vector<uint8_t> other(trains.begin(), trains.begin() + long(Z));
        for (size_t c = 0; c < Z; c += 3) other[c] ^= 1;
        std::vector<float> changed(S);
        REQUIRE(fsvae_decode(s.get(), 1, other.data(), other.size(), changed.data(), S) == FSVAE_OK);
        CHECK(std::memcmp(changed.data(), expected.data(), S * sizeof(float)) != 0);
    }
}

TEST_CASE("capi: latent trains read mid-run hold zeros for the steps not run") {
    SessionPtr s = make_session(shared_model(), 1, 2);
    const fsvae_model_info i = shared_info();
    REQUIRE(fsvae_begin_generate(s.get(), 4) == FSVAE_OK);
    for (int t = 0; t < 5; ++t) REQUIRE(fsvae_step(s.get()) == FSVAE_OK);
    std::vector<uint8_t> z(z_bytes(), 9);
    REQUIRE(fsvae_read_latents(s.get(), z.data(), z.size()) == FSVAE_OK);
    CHECK(std::count(z.begin(), z.begin() + 5 * long(i.latent_dim), 1) > 0);
    CHECK(std::all_of(z.begin() + 5 * long(i.latent_dim), z.end(), [](uint8_t b) { return b == 0; }));
}

TEST_CASE("capi: bad latent trains and buffers are refused, nothing written") {
    SessionPtr s = make_session(shared_model(), 1, 0);
    const size_t S = shared_info().image_floats, Z = z_bytes();
    std::vector<uint8_t> z(Z, 0);
    std::vector<float> out(S, 42.0f);
    const auto untouched = [&] {
        return std::all_of(out.begin(), out.end(), [](float v) { return v == 42.0f; });
    };

    z[Z / 2] = 2;
    CHECK(fsvae_decode(s.get(), 1, z.data(), Z, out.data(), S) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(fsvae_session_last_error(s.get())).find("other than 0 and 1") != std::string::npos);
    CHECK(untouched());
    z[Z / 2] = 0;
    CHECK(fsvae_decode(s.get(), 1, z.data(), Z - 1, out.data(), S) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_decode(s.get(), 1, z.data(), Z, out.data(), S - 1) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_decode(s.get(), 1, nullptr, Z, out.data(), S) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_decode(nullptr, 1, z.data(), Z, out.data(), S) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(untouched());
    CHECK(fsvae_decode(s.get(), 0, nullptr, 0, nullptr, 0) == FSVAE_OK);

    std::vector<uint8_t> zz(Z, 9);
    CHECK(fsvae_read_latents(s.get(), zz.data(), Z) == FSVAE_ERROR_BAD_STATE);
    REQUIRE(fsvae_begin_generate(s.get(), 0) == FSVAE_OK);
    CHECK(fsvae_read_latents(s.get(), zz.data(), Z - 1) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_read_latents(s.get(), nullptr, Z) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(std::all_of(zz.begin(), zz.end(), [](uint8_t b) { return b == 9; }));
}
