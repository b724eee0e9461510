// kernels_avx512.cpp: the kernel table for xsimd::avx512f, compiled with
// AVX-512F and BW (the int8 kernels use 16-bit lanes). Compiled with this
// architecture's flags only; it holds nothing but the instantiation.
#include "kernels_simd.hpp"

namespace fsvae::kernels {
const KernelTable& kernels_avx512() { return simd::Kernels<xsimd::avx512f>::table("avx512"); }
}  // namespace fsvae::kernels
