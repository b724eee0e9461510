// tanh.cpp: tanh from IEEE-754 additions, multiplications and divisions only.
//
// The C library's tanhf is not correctly rounded, and libms differ (glibc
// versions, musl, builds that contract into fused multiply-adds), so the
// same readout would give different image bytes on different machines. This
// one uses no library call: every operation is a correctly rounded double
// operation in a fixed order (compiled with -ffp-contract=off, as all of
// fsvae-rt), so it gives the same bits wherever double is IEEE binary64
// evaluated at its own precision (FLT_EVAL_METHOD 0: x86-64, AArch64).
//
// For 2^-12 <= |x| < 9.5, with a = 2|x|:
//   tanh|x| = (e^a - 1) / (e^a + 1) = m / (m + 2),   m = e^a - 1,
//   a = k ln2 + r (k = round(a / ln2), |r| <= ln2 / 2),
//   m = 2^k (e^r - 1) + (2^k - 1),
//   e^r - 1 = r + r^2/2! + ... + r^11/11! (Taylor, Horner; the next term is
//   under 5e-15 relative), ln2 split in two so that k ln2 is exact (fdlibm's
//   split). The double result is within about 1e-15 of tanh, so the float
//   rounding of it is the float nearest tanh but in double-rounding ties
//   (measured: 0.5 ulp plus about 1e-8 ulp, tests/test_kernels.cpp).
// Below 2^-12, tanh x = x (1 - x^2/3 + ...) rounds to x itself (x^2/3 is
// under half an ulp); at 9.5 and above, 1 - tanh|x| < 2e-8 is under half an
// ulp of 1, so the result is +-1, as for infinities.
#include "tanh.hpp"

#include <bit>
#include <cfloat>
#include <cstdint>

static_assert(FLT_EVAL_METHOD == 0, "float and double must be evaluated at their own precision");

namespace fsvae::kernels {
namespace {

// e^r - 1 for |r| <= ln2 / 2 + a little.
double expm1_reduced(double r) {
    constexpr double c3 = 1.0 / 6, c4 = 1.0 / 24, c5 = 1.0 / 120, c6 = 1.0 / 720,
                     c7 = 1.0 / 5040, c8 = 1.0 / 40320, c9 = 1.0 / 362880, c10 = 1.0 / 3628800,
                     c11 = 1.0 / 39916800;
    double p = c11;
    p = p * r + c10;
    p = p * r + c9;
    p = p * r + c8;
    p = p * r + c7;
    p = p * r + c6;
    p = p * r + c5;
    p = p * r + c4;
    p = p * r + c3;
    p = p * r + 0.5;
    p = p * r + 1.0;
    return p * r;
}

}  // namespace

float portable_tanh(float x) {
    if (x != x) return x;  // NaN
    const bool negative = x < 0;
    const float ax = negative ? -x : x;
    if (ax < 0x1p-12f) return x;  // keeps -0 and denormals
    if (ax >= 9.5f) return negative ? -1.0f : 1.0f;

    const double a = 2.0 * double(ax);  // exact
    constexpr double kInvLn2 = 1.44269504088896338700;
    constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 32 bits: k * kLn2Hi is exact
    constexpr double kLn2Lo = 1.90821492927058770002e-10;
    const int k = int(a * kInvLn2 + 0.5);  // a >= 0: truncation rounds to nearest
    const double r = (a - double(k) * kLn2Hi) - double(k) * kLn2Lo;
    const double scale = std::bit_cast<double>(uint64_t(1023 + k) << 52);  // 2^k, k <= 28
    const double m = scale * expm1_reduced(r) + (scale - 1.0);
    const float t = float(m / (m + 2.0));
    return negative ? -t : t;
}

}  // namespace fsvae::kernels
