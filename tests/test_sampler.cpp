// The counter-based choice generator: Philox4x32-10 known answers (Random123's
// kat_vectors), agreement with the Python twin (tools/reference/philox.py),
// range, uniformity, independence from call order, and the checks on choices
// handed in from outside.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <fstream>
#include <string>
#include <vector>

#include "../runtime/error.hpp"
#include "../runtime/sampler.hpp"
#include "support.hpp"

using fsvae::ChoiceSource;
using fsvae::philox4x32;

TEST_CASE("sampler: Philox4x32-10 known-answer vectors") {
    auto a = philox4x32({0, 0, 0, 0}, {0, 0});
    CHECK(a[0] == 0x6627e8d5u);
    CHECK(a[1] == 0xe169c58du);
    CHECK(a[2] == 0xbc57ac4cu);
    CHECK(a[3] == 0x9b00dbd8u);
    auto b = philox4x32({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                        {0xffffffffu, 0xffffffffu});
    CHECK(b[0] == 0x408f276du);
    CHECK(b[1] == 0x41c83b0eu);
    CHECK(b[2] == 0xa20bc7c6u);
    CHECK(b[3] == 0x6d5451fdu);
    auto c = philox4x32({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                        {0xa4093822u, 0x299f31d0u});
    CHECK(c[0] == 0xd16cfe09u);
    CHECK(c[1] == 0x94fdccebu);
    CHECK(c[2] == 0x5001e420u);
    CHECK(c[3] == 0x24126ea1u);
}

// The reference injects philox.py's choices to compute what `--seed S` must
// give, so the two must agree on every value, in particular at the corners:
// the high halves of seed and index, a latent count not a multiple of 4.
TEST_CASE("sampler: choices equal tools/reference/philox.py's (tests/golden/philox.json)") {
    std::ifstream in(fsvae::test::source_path("tests/golden/philox.json"));
    REQUIRE(in);
    const nlohmann::json j = nlohmann::json::parse(in);
    REQUIRE(j.at("cases").size() >= 4);
    for (const auto& c : j.at("cases")) {
        const uint64_t seed = c.at("seed"), index = c.at("index");
        const uint32_t k = c.at("k"), C = c.at("latent_dim");
        const ChoiceSource s(seed, index, k, C);
        std::vector<uint32_t> r(C);
        const auto& rows = c.at("choices");
        for (uint32_t t = 0; t < rows.size(); ++t) {
            s.choices(t, r.data());
            INFO("seed ", seed, " index ", index, " k ", k, " C ", C, " step ", t);
            CHECK(r == rows[t].get<std::vector<uint32_t>>());
        }
    }
}

TEST_CASE("sampler: choices are in range and close to uniform") {
    const uint32_t k = 20, C = 128, T = 16;
    std::vector<size_t> hist(k, 0);
    std::vector<uint32_t> r(C);
    for (uint64_t img = 0; img < 200; ++img) {
        ChoiceSource s(42, img, k, C);
        for (uint32_t t = 0; t < T; ++t) {
            s.choices(t, r.data());
            for (uint32_t v : r) {
                REQUIRE(v < k);
                ++hist[v];
            }
        }
    }
    const double expected = 200.0 * T * C / k;  // 20480 per bin
    double chi2 = 0;
    for (size_t h : hist) chi2 += (double(h) - expected) * (double(h) - expected) / expected;
    CHECK(chi2 < 50.0);  // 19 degrees of freedom: p < 1e-4 above 43.8
}

TEST_CASE("sampler: a choice depends only on (seed, image, step, latent)") {
    std::vector<uint32_t> a(128), b(128), c(128);
    ChoiceSource s1(7, 3, 20, 128), s2(7, 3, 20, 128), other_seed(8, 3, 20, 128),
        other_image(7, 4, 20, 128);
    s2.choices(5, b.data());  // call order does not matter
    s1.choices(0, c.data());
    s1.choices(5, a.data());
    CHECK(a == b);
    other_seed.choices(5, b.data());
    CHECK(a != b);
    other_image.choices(5, b.data());
    CHECK(a != b);
    s1.choices(6, b.data());
    CHECK(a != b);
}

TEST_CASE("sampler: injected choices are returned as given") {
    std::vector<uint16_t> inj(2 * 3);
    for (size_t i = 0; i < inj.size(); ++i) inj[i] = uint16_t(i);
    ChoiceSource s(0, 0, 20, 3, inj);
    std::vector<uint32_t> r(3);
    s.choices(1, r.data());
    CHECK(r == std::vector<uint32_t>{3, 4, 5});
}

TEST_CASE("sampler: injected choices must be below k and whole steps") {
    // Accepted before: a choice r >= k read mask[c * k + r], past latent c's
    // k outputs (and past the mask for the last latent).
    std::vector<uint16_t> inj = {0, 19, 3, 7, 20, 1};  // step 1, latent 1 is k
    CHECK_THROWS_WITH_AS(ChoiceSource(0, 0, 20, 3, inj),
                         "injected sampler choices: step 1, latent 1 is 20, not below k = 20",
                         fsvae::Error);
    inj[4] = 19;
    CHECK_NOTHROW(ChoiceSource(0, 0, 20, 3, inj));
    inj.push_back(0);
    CHECK_THROWS_WITH_AS(ChoiceSource(0, 0, 20, 3, inj),
                         "injected sampler choices: 7 values are not whole steps of 3 latents",
                         fsvae::Error);
    CHECK_THROWS_WITH_AS(ChoiceSource(0, 0, 20, 0),
                         "sampler choices need k and latent_dim of at least 1", fsvae::Error);
}

TEST_CASE("sampler: a workspace refuses choices made for another model") {
    const auto model = fsvae::test::bundled_model();
    const fsvae::ModelInfo& I = model->info();
    const fsvae::Engine engine(model);
    fsvae::Workspace ws(engine);
    // k and latents as drawn must be the model's: r < 4096 would index past
    // a latent's 20 outputs, 256 latents past the 128 the workspace holds.
    CHECK_THROWS_WITH_AS(ws.begin(fsvae::Mode::Generate, ChoiceSource(1, 0, 4096, I.latent_dim)),
                         "sampler choices are for k 4096 and 128 latents; the model has k 20 "
                         "and 128 latents",
                         fsvae::Error);
    CHECK_THROWS_WITH_AS(ws.begin(fsvae::Mode::Generate, ChoiceSource(1, 0, I.k, 256)),
                         "sampler choices are for k 20 and 256 latents; the model has k 20 "
                         "and 128 latents",
                         fsvae::Error);
    // Injected choices must cover every step.
    const std::vector<uint16_t> short_of_steps(size_t(I.time_steps - 1) * I.latent_dim, 0);
    CHECK_THROWS_WITH_AS(
        ws.begin(fsvae::Mode::Generate, ChoiceSource(1, 0, I.k, I.latent_dim, short_of_steps)),
        "injected sampler choices hold 15 steps; the model runs 16", fsvae::Error);
    const std::vector<uint16_t> whole(size_t(I.time_steps) * I.latent_dim, uint16_t(I.k - 1));
    std::vector<float> out(I.image_size());
    CHECK_NOTHROW(ws.generate(ChoiceSource(1, 0, I.k, I.latent_dim, whole), out.data()));
}
