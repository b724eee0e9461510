// The counter-based choice generator: Philox4x32-10 known answers (Random123's
// kat_vectors), agreement with the Python twin (tools/reference/philox.py),
// range, uniformity, and independence from call order.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <fstream>
#include <string>
#include <vector>

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
    ChoiceSource s(0, 0, 20, 3, inj.data());
    std::vector<uint32_t> r(3);
    s.choices(1, r.data());
    CHECK(r == std::vector<uint32_t>{3, 4, 5});
}
