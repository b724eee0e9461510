// Every SIMD kernel table the host supports against the scalar reference.
// The kernels promise bit-identical results (same operations, same order), so
// the comparison is exact.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <random>
#include <vector>

#include "../kernels/kernels.hpp"
#include "../kernels/tanh.hpp"

using namespace fsvae::kernels;

namespace {

std::vector<float> random_floats(size_t n, std::mt19937& rng) {
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

std::vector<const KernelTable*> simd_tables() {
    const KernelTable* t[8];
    const size_t n = available_kernels(t, 8);
    std::vector<const KernelTable*> v(t, t + n);
    REQUIRE(!v.empty());
    CHECK(std::strcmp(v.back()->isa, "scalar") == 0);
    v.pop_back();
    return v;
}

// The SIMD tables and the scalar reference.
std::vector<const KernelTable*> all_tables() {
    auto v = simd_tables();
    v.push_back(&scalar_kernels());
    return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
}

}  // namespace

TEST_CASE("kernels: this x86-64 host offers at least one SIMD table") {
#if defined(__x86_64__)
    CHECK(simd_tables().size() >= 1);  // SSE2 is part of x86-64
#endif
}

TEST_CASE("kernels: accumulate_rows and add_row_sums match scalar on every ISA") {
    std::mt19937 rng(1);
    const KernelTable& S = scalar_kernels();
    for (const KernelTable* K : simd_tables()) {
        // accumulate_rows adds eight events at a time: fewer than a group,
        // one group, and groups with a remainder.
        const std::vector<std::vector<uint32_t>> actives = {
            {0, 3, 4, 17, 49, 20, 3},
            {5, 1, 44, 2, 9, 30, 31, 48},
            {7, 0, 12, 49, 3, 3, 26, 18, 40, 1, 33, 21, 8, 45, 16, 2, 29, 11, 38}};
        for (size_t row_len : {1u, 7u, 8u, 31u, 64u, 100u, 288u, 2560u}) {
            for (const auto& active : actives) {
                const size_t rows = 50;
                auto w = random_floats(rows * row_len, rng);
                auto a = random_floats(row_len, rng), b = a;
                S.accumulate_rows(a.data(), w.data(), active.data(), active.size(), row_len, row_len);
                K->accumulate_rows(b.data(), w.data(), active.data(), active.size(), row_len, row_len);
                INFO(K->isa, " row_len ", row_len, " events ", active.size());
                CHECK(same_bits(a, b));
                // A column range [lo, lo + len) of the same rows, as a part of
                // a split layer adds it: the same bits as those columns of the
                // full rows.
                const size_t lo = row_len / 3, len = row_len - lo - row_len / 4;
                const auto orig = random_floats(row_len, rng);
                auto c = orig, d = orig;
                S.accumulate_rows(c.data(), w.data(), active.data(), active.size(), row_len, row_len);
                K->accumulate_rows(d.data() + lo, w.data() + lo, active.data(), active.size(), len,
                                   row_len);
                auto expect = orig;  // the range from the full rows, the rest untouched
                std::copy(c.begin() + long(lo), c.begin() + long(lo + len), expect.begin() + long(lo));
                CHECK(same_bits(expect, d));

                // add_row_sums: the same sums started from zero, then added to out.
                std::vector<float> sums(row_len, 0.0f);
                S.accumulate_rows(sums.data(), w.data(), active.data(), active.size(), row_len, row_len);
                auto expect_sums = orig;
                for (size_t j = 0; j < row_len; ++j) expect_sums[j] = orig[j] + sums[j];
                auto s1 = orig, s2 = orig;
                K->add_row_sums(s2.data(), w.data(), active.data(), active.size(), row_len, row_len);
                S.add_row_sums(s1.data(), w.data(), active.data(), active.size(), row_len, row_len);
                CHECK(same_bits(expect_sums, s2));
                CHECK(same_bits(expect_sums, s1));
            }
        }
    }
}

TEST_CASE("kernels: accumulate_rows_scaled matches scalar on every ISA") {
    std::mt19937 rng(5);
    const KernelTable& S = scalar_kernels();
    for (const KernelTable* K : simd_tables()) {
        for (size_t row_len : {1u, 9u, 16u, 70u, 288u}) {
            const size_t rows = 37;
            auto w = random_floats(rows * row_len, rng);
            auto scale = random_floats(rows, rng);
            scale[3] = 0.0f;
            scale[5] = 1.0f;
            auto a = random_floats(row_len, rng), b = a;
            const auto a0 = a;
            S.accumulate_rows_scaled(a.data(), w.data(), scale.data(), rows, row_len, row_len);
            K->accumulate_rows_scaled(b.data(), w.data(), scale.data(), rows, row_len, row_len);
            INFO(K->isa, " row_len ", row_len);
            CHECK(same_bits(a, b));
            // The last `len` columns only, rows still row_len apart: those
            // columns of the full product, the others untouched.
            const size_t lo = row_len / 3, len = row_len - lo;
            auto c = a0;
            K->accumulate_rows_scaled(c.data() + lo, w.data() + lo, scale.data(), rows, len, row_len);
            auto expect = a0;
            std::copy(a.begin() + long(lo), a.end(), expect.begin() + long(lo));
            CHECK(same_bits(c, expect));
        }
    }
    std::vector<float> w = {1, 2, 10, 20}, s = {3, 0.5f}, out = {1, 1};
    S.accumulate_rows_scaled(out.data(), w.data(), s.data(), 2, 2, 2);
    CHECK(out[0] == 1 + 3 + 5);
    CHECK(out[1] == 1 + 6 + 10);
}

TEST_CASE("kernels: accumulate_rows adds exactly the active rows") {
    const KernelTable& S = scalar_kernels();
    std::vector<float> w = {1, 2, 10, 20, 100, 200};
    std::vector<uint32_t> active = {2, 0};
    std::vector<float> out = {0.5f, 0.25f};
    S.accumulate_rows(out.data(), w.data(), active.data(), active.size(), 2, 2);
    CHECK(out[0] == 101.5f);
    CHECK(out[1] == 202.25f);
}

TEST_CASE("kernels: scatter_rows and scatter_rows_scaled match scalar on every ISA") {
    std::mt19937 rng(2);
    const KernelTable& S = scalar_kernels();
    for (const KernelTable* K : simd_tables()) {
        for (size_t row_len : {1u, 5u, 32u, 64u, 128u}) {
            const size_t n_rows = 20, n_out = 30;
            auto w = random_floats(n_rows * row_len, rng);
            std::vector<uint32_t> dst, src, len;
            std::vector<float> scale;
            std::uniform_int_distribution<uint32_t> dr(0, n_out - 1), sr(0, n_rows - 1);
            for (int i = 0; i < 200; ++i) {  // repeated destinations: order matters
                dst.push_back(dr(rng) * uint32_t(row_len));
                src.push_back(sr(rng) * uint32_t(row_len));
                len.push_back(uint32_t(row_len) - uint32_t(i % 2) * uint32_t(row_len / 2));
                scale.push_back(std::uniform_real_distribution<float>(-1, 1)(rng));
            }
            auto a = random_floats(n_out * row_len, rng), b = a, c = a, d = a;
            S.scatter_rows(a.data(), w.data(), dst.data(), src.data(), len.data(), dst.size());
            K->scatter_rows(b.data(), w.data(), dst.data(), src.data(), len.data(), dst.size());
            S.scatter_rows_scaled(c.data(), w.data(), dst.data(), src.data(), len.data(),
                                  scale.data(), dst.size());
            K->scatter_rows_scaled(d.data(), w.data(), dst.data(), src.data(), len.data(),
                                   scale.data(), dst.size());
            INFO(K->isa, " row_len ", row_len);
            CHECK(same_bits(a, b));
            CHECK(same_bits(c, d));
        }
    }
}

TEST_CASE("kernels: decay_bias, fire, broadcast match scalar on every ISA") {
    std::mt19937 rng(3);
    const KernelTable& S = scalar_kernels();
    for (const KernelTable* K : simd_tables()) {
        for (size_t channels : {1u, 3u, 16u, 37u, 256u}) {
            const size_t pixels = 9, n = pixels * channels;
            auto bias = random_floats(channels, rng);
            auto u = random_floats(n, rng), v = u;
            S.decay_bias(u.data(), bias.data(), pixels, channels, 0.25f);
            K->decay_bias(v.data(), bias.data(), pixels, channels, 0.25f);
            INFO(K->isa, " channels ", channels);
            CHECK(same_bits(u, v));

            // fire with the next step's leak, bias repeating every `channels`
            // (3 and 37 wrap inside a vector).
            FireNext next;
            next.tau = 0.25f;
            next.bias = bias.data();
            next.channels = channels;
            std::vector<uint32_t> fa(n), fb(n);
            const size_t na = S.fire(u.data(), n, 0.2f, fa.data(), next);
            const size_t nb = K->fire(v.data(), n, 0.2f, fb.data(), next);
            CHECK(na == nb);
            CHECK(std::equal(fa.begin(), fa.begin() + na, fb.begin()));
            CHECK(same_bits(u, v));

            std::vector<float> o1(n, 9.0f), o2(n, 7.0f);
            S.broadcast(o1.data(), bias.data(), pixels, channels);
            K->broadcast(o2.data(), bias.data(), pixels, channels);
            CHECK(same_bits(o1, o2));
        }
    }
}

TEST_CASE("kernels: fire is threshold, reset, then the next step's leak and bias") {
    // fire(u) must equal: spikes where u > vth, u = 0 there, then decay_bias.
    std::mt19937 rng(13);
    for (const KernelTable* K : all_tables()) {
        for (size_t channels : {1u, 5u, 32u}) {
            const size_t pixels = 7, n = pixels * channels;
            auto bias = random_floats(channels, rng);
            auto u = random_floats(n, rng);
            auto want = u;
            std::vector<uint32_t> expect;
            for (size_t i = 0; i < n; ++i)
                if (want[i] > 0.1f) {
                    expect.push_back(uint32_t(i));
                    want[i] = 0.0f;
                }
            scalar_kernels().decay_bias(want.data(), bias.data(), pixels, channels, 0.5f);
            FireNext next;
            next.tau = 0.5f;
            next.bias = bias.data();
            next.channels = channels;
            std::vector<uint32_t> fired(n);
            const size_t got = K->fire(u.data(), n, 0.1f, fired.data(), next);
            INFO(K->isa, " channels ", channels);
            REQUIRE(got == expect.size());
            CHECK(std::equal(expect.begin(), expect.end(), fired.begin()));
            CHECK(same_bits(u, want));
        }
    }
}

TEST_CASE("kernels: fire lists the same indices as scalar at every rate and length") {
    // Each ISA compacts a vector's spikes its own way (mask bits, a
    // compressed register): from no lane to every lane, and in the tail.
    std::mt19937 rng(11);
    const KernelTable& S = scalar_kernels();
    const float zero_bias[1] = {0.0f};
    FireNext plain;  // no leak: u keeps its value or its reset
    plain.tau = 1.0f;
    plain.bias = zero_bias;
    plain.channels = 1;
    for (const KernelTable* K : simd_tables()) {
        for (size_t n : {1u, 15u, 16u, 17u, 64u, 67u, 1000u}) {
            for (double rate : {0.0, 0.05, 0.5, 0.95, 1.0}) {
                std::bernoulli_distribution spike(rate);
                std::vector<float> u(n);
                for (float& x : u) x = spike(rng) ? 0.75f : 0.25f;
                auto v = u;
                // Sentinels after the count show what the kernel may overwrite.
                std::vector<uint32_t> fa(n, 7u), fb(n, 7u);
                const size_t na = S.fire(u.data(), n, 0.5f, fa.data(), plain);
                const size_t nb = K->fire(v.data(), n, 0.5f, fb.data(), plain);
                INFO(K->isa, " n ", n, " rate ", rate);
                size_t expect = 0;
                for (float x : v) expect += x == 0.0f;
                CHECK(na == nb);
                CHECK(nb == expect);
                CHECK(std::equal(fa.begin(), fa.begin() + na, fb.begin()));
                CHECK(same_bits(u, v));

                // With the readout sum: the same spikes, and sum = 0.8 * sum + spike.
                std::vector<float> u2(n), sum1 = random_floats(n, rng);
                for (size_t i = 0; i < n; ++i) u2[i] = v[i] == 0.0f ? 0.75f : 0.25f;
                auto u3 = u2, sum2 = sum1, want = sum1;
                for (size_t i = 0; i < n; ++i) want[i] = 0.8f * sum1[i] + (u2[i] > 0.5f ? 1.0f : 0.0f);
                std::vector<uint32_t> fc(n, 7u), fd(n, 7u);
                FireNext with_sum = plain;
                with_sum.sum_decay = 0.8f;
                with_sum.sum = sum1.data();
                const size_t nc = S.fire(u2.data(), n, 0.5f, fc.data(), with_sum);
                with_sum.sum = sum2.data();
                const size_t nd = K->fire(u3.data(), n, 0.5f, fd.data(), with_sum);
                CHECK(nc == na);
                CHECK(nd == na);
                CHECK(std::equal(fa.begin(), fa.begin() + na, fd.begin()));
                CHECK(same_bits(u2, u3));
                CHECK(same_bits(sum1, want));
                CHECK(same_bits(sum2, want));
            }
        }
    }
}

TEST_CASE("kernels: fire is strict, resets, and lists indices in order") {
    const float zero_bias[1] = {0.0f};
    FireNext plain;
    plain.tau = 1.0f;
    plain.bias = zero_bias;
    plain.channels = 1;
    for (const KernelTable* K : all_tables()) {
        std::vector<float> u(19, 0.0f);
        u[0] = 0.2f;            // equal to Vth: no spike
        u[3] = 0.2000001f;
        u[8] = 5.0f;
        u[18] = 0.3f;           // in the scalar tail
        std::vector<uint32_t> fired(u.size());
        const size_t n = K->fire(u.data(), u.size(), 0.2f, fired.data(), plain);
        INFO(K->isa);
        REQUIRE(n == 3);
        CHECK(fired[0] == 3);
        CHECK(fired[1] == 8);
        CHECK(fired[2] == 18);
        CHECK(u[0] == 0.2f);
        CHECK(u[3] == 0.0f);
        CHECK(u[8] == 0.0f);
    }
}

TEST_CASE("kernels: FSVAE_ISA selects a table by name") {
    CHECK(find_kernels("scalar") == &scalar_kernels());
    CHECK(find_kernels("no-such-isa") == nullptr);
    const KernelTable* t[8];
    available_kernels(t, 8);
    const char* saved = std::getenv("FSVAE_ISA");
    const std::string keep = saved ? saved : "";
    setenv("FSVAE_ISA", "scalar", 1);
    CHECK(&select_kernels() == &scalar_kernels());
    setenv("FSVAE_ISA", "no-such-isa", 1);
    const char* note = nullptr;
    CHECK(&select_kernels(&note) == t[0]);
    CHECK(note != nullptr);
    unsetenv("FSVAE_ISA");
    CHECK(&select_kernels() == t[0]);
    if (saved) setenv("FSVAE_ISA", keep.c_str(), 1);
}

namespace {

// Distance from y to the reference r (a double) in units in the last place
// of the float nearest r.
double ulp_error(float y, double r) {
    const double a = std::fabs(r);
    const int e = a == 0 ? -149 : std::max(std::ilogb(a), -126);
    return std::fabs(double(y) - r) / std::ldexp(1.0, e - 23);
}

uint32_t float_bits(float x) {
    uint32_t b;
    std::memcpy(&b, &x, 4);
    return b;
}

float from_bits(uint32_t b) {
    float x;
    std::memcpy(&x, &b, 4);
    return x;
}

}  // namespace

// portable_tanh against the C library's double tanh (within an ulp of a
// double, so a reference good to 1e-8 float ulps), over every float
// magnitude: one bit pattern in 61 from 0 to infinity (35 million values:
// every binade, denormals included, about 137,000 values each), and every
// float of [0.5, 1), where the result is farthest from both 0 and 1.
// Measured on x86-64: at most 0.5 ulp, every result the float nearest the
// double tanh (and, checked once over all 136 million floats of
// [2^-13, 10] against the x87 long double tanhl, the float nearest tanh:
// largest error 0.499999991 ulp). The bound leaves 1e-6 ulp for the
// reference's own error; the C library's float tanhf errs by up to 2.12 ulp
// here, which it refuses.
TEST_CASE("kernels: portable_tanh is within half an ulp of tanh over the whole float range") {
    constexpr double kBound = 0.5 + 1e-6;
    double worst = 0, worst_libm = 0;
    float worst_at = 0;
    size_t n = 0, not_nearest = 0;
    auto check = [&](float x) {
        const double r = std::tanh(double(x));
        const float y = portable_tanh(x);
        const double e = ulp_error(y, r);
        if (e > worst) {
            worst = e;
            worst_at = x;
        }
        worst_libm = std::max(worst_libm, ulp_error(std::tanh(x), r));
        not_nearest += y != float(r);
        ++n;
    };
    for (uint32_t b = 0; b < 0x7f800000u; b += 61) check(from_bits(b));
    for (uint32_t b = float_bits(0.5f); b < float_bits(1.0f); ++b) check(from_bits(b));
    char line[200];
    std::snprintf(line, sizeof line,
                  "portable_tanh over %zu floats: largest error %.9f ulp (at %.9g), %zu not the "
                  "float nearest the double tanh; the C library's tanhf: %.3f ulp",
                  n, worst, double(worst_at), not_nearest, worst_libm);
    MESSAGE(line);
    CHECK(worst <= kBound);
}

TEST_CASE("kernels: portable_tanh is odd, monotonic, saturates, and keeps 0, denormals and NaN") {
    float prev = portable_tanh(0.0f);
    for (uint32_t b = 0; b < 0x7f800000u; b += 4093) {
        const float x = from_bits(b), y = portable_tanh(x);
        INFO("x ", x);
        CHECK(float_bits(portable_tanh(-x)) == (float_bits(y) ^ 0x80000000u));  // odd, bit for bit
        CHECK(y >= prev);
        CHECK(y <= 1.0f);
        prev = y;
    }
    CHECK(portable_tanh(9.1f) == 1.0f);  // 1 - tanh(9.1) = 2.5e-8, under half an ulp of 1
    CHECK(portable_tanh(-9.1f) == -1.0f);
    CHECK(portable_tanh(3e38f) == 1.0f);
    CHECK(portable_tanh(std::numeric_limits<float>::infinity()) == 1.0f);
    CHECK(portable_tanh(-std::numeric_limits<float>::infinity()) == -1.0f);
    CHECK(portable_tanh(8.0f) < 1.0f);
    CHECK(float_bits(portable_tanh(0.0f)) == float_bits(0.0f));
    CHECK(float_bits(portable_tanh(-0.0f)) == float_bits(-0.0f));
    const float denormal = std::numeric_limits<float>::denorm_min() * 1000;
    CHECK(portable_tanh(denormal) == denormal);
    CHECK(portable_tanh(-denormal) == -denormal);
    CHECK(portable_tanh(1e-30f) == 1e-30f);
    CHECK(std::isnan(portable_tanh(std::numeric_limits<float>::quiet_NaN())));
}

// ---- int8 kernels --------------------------------------------------------

namespace {

std::vector<int8_t> random_i8(size_t n, std::mt19937& rng, int lo = -127, int hi = 127) {
    std::uniform_int_distribution<int> d(lo, hi);
    std::vector<int8_t> v(n);
    for (auto& x : v) x = int8_t(d(rng));
    return v;
}

// The exact sum, formed in int64 by a different route (column by column).
std::vector<int64_t> exact_rows(const std::vector<int8_t>& rows, const std::vector<uint32_t>& active,
                                size_t row_len, size_t row_stride) {
    std::vector<int64_t> v(row_len, 0);
    for (size_t j = 0; j < row_len; ++j)
        for (uint32_t a : active) v[j] += rows[size_t(a) * row_stride + j];
    return v;
}

}  // namespace

TEST_CASE("kernels: accumulate_rows_i8 and add_row_sums_i8 are the exact integer sum on every ISA") {
    std::mt19937 rng(11);
    // Lengths around the 16-, 32- and 64-column blocks and the vector
    // widths; event counts around accumulate_rows_i8's 16-event groups and
    // add_row_sums_i8's 258-event int16 blocks (kInt16Events), up to
    // several of each.
    for (size_t row_len : {1u, 15u, 31u, 48u, 63u, 64u, 65u, 130u, 288u, 512u, 2560u}) {
        for (size_t n_active : {0u, 1u, 15u, 16u, 17u, 33u, 257u, 258u, 259u, 1000u}) {
            const size_t n_rows = std::max<size_t>(n_active, 4), stride = row_len + 3;
            // Worst case for the int16 lanes: every weight at +127 or -127.
            for (int extreme = 0; extreme < 2; ++extreme) {
                auto rows = extreme ? random_i8(n_rows * stride, rng, 127, 127)
                                    : random_i8(n_rows * stride, rng);
                if (extreme && row_len > 1) rows[stride + 1] = -127;
                std::vector<uint32_t> active(n_active);
                for (size_t a = 0; a < n_active; ++a) active[a] = uint32_t(a % n_rows);
                std::shuffle(active.begin(), active.end(), rng);
                const auto want = exact_rows(rows, active, row_len, stride);
                std::vector<int32_t> start(row_len);
                for (auto& x : start) x = int32_t(rng() % 2001) - 1000;
                for (const KernelTable* t : all_tables()) {
                    for (int kernel = 0; kernel < 2; ++kernel) {
                        INFO(std::string(t->isa), (kernel ? " add_row_sums_i8" : " accumulate_rows_i8"),
                             " row_len ", row_len, " n_active ", n_active, " extreme ", extreme);
                        std::vector<int32_t> out = start;
                        (kernel ? t->add_row_sums_i8 : t->accumulate_rows_i8)(
                            out.data(), rows.data(), active.data(), n_active, row_len, stride);
                        bool ok = true;
                        for (size_t j = 0; j < row_len; ++j) ok &= int64_t(out[j]) == start[j] + want[j];
                        CHECK(ok);
                    }
                }
            }
        }
    }
}

TEST_CASE("kernels: scatter_rows_i8 is the exact integer sum on every ISA") {
    std::mt19937 rng(12);
    const auto rows = random_i8(4096, rng);
    const size_t out_n = 4096, rows_n = rows.size();
    for (size_t n : {0u, 1u, 7u, 300u}) {
        std::vector<uint32_t> dst(n), src(n), len(n);
        for (size_t i = 0; i < n; ++i) {
            len[i] = uint32_t(1 + rng() % 200);
            dst[i] = uint32_t(rng() % (out_n - len[i]));
            src[i] = uint32_t(rng() % (rows_n - len[i]));
        }
        std::vector<int64_t> want(out_n, 0);
        for (size_t i = 0; i < n; ++i)
            for (size_t j = 0; j < len[i]; ++j) want[dst[i] + j] += rows[src[i] + j];
        for (const KernelTable* t : all_tables()) {
            INFO(std::string(t->isa), " n ", n);
            std::vector<int32_t> out(out_n, 0);
            t->scatter_rows_i8(out.data(), rows.data(), dst.data(), src.data(), len.data(), n);
            CHECK(std::equal(out.begin(), out.end(), want.begin(),
                             [](int32_t a, int64_t b) { return int64_t(a) == b; }));
        }
    }
}

TEST_CASE("kernels: add_scaled_sums is u + scale * float(sum), then zeroes the sums, on every ISA") {
    std::mt19937 rng(13);
    for (size_t channels : {1u, 3u, 16u, 33u, 512u}) {
        const size_t pixels = 5, n = pixels * channels;
        const auto u0 = random_floats(n, rng);
        const auto scale = random_floats(channels, rng);
        std::vector<int32_t> sum0(n);
        for (auto& x : sum0) x = int32_t(rng() % 33'000'001) - 16'500'000;  // the int8 bound's range
        std::vector<float> want(n);
        for (size_t i = 0; i < n; ++i) {
            const float x = scale[i % channels] * float(sum0[i]);  // one rounding each
            want[i] = u0[i] + x;
        }
        for (const KernelTable* t : all_tables()) {
            INFO(std::string(t->isa), " channels ", channels);
            auto u = u0;
            auto sum = sum0;
            t->add_scaled_sums(u.data(), sum.data(), scale.data(), pixels, channels);
            CHECK(same_bits(u, want));
            CHECK(std::all_of(sum.begin(), sum.end(), [](int32_t x) { return x == 0; }));
        }
    }
}
