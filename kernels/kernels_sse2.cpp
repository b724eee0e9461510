// kernels_sse2.cpp: the kernel table for xsimd::sse2. Compiled with this
// architecture's flags only; it holds nothing but the instantiation.
#include "kernels_simd.hpp"

namespace fsvae::kernels {
const KernelTable& kernels_sse2() { return simd::Kernels<xsimd::sse2>::table("sse2"); }
}  // namespace fsvae::kernels
