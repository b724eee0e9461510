// kernels_avx2.cpp: the kernel table for xsimd::avx2. Compiled with this
// architecture's flags only; it holds nothing but the instantiation.
#include "kernels_simd.hpp"

namespace fsvae::kernels {
const KernelTable& kernels_avx2() { return simd::Kernels<xsimd::avx2>::table("avx2"); }
}  // namespace fsvae::kernels
