// kernels_neon64.cpp: the kernel table for xsimd::neon64 (AArch64).
// Compiled with this architecture's flags only; it holds nothing but the
// instantiation.
#include "kernels_simd.hpp"

namespace fsvae::kernels {
const KernelTable& kernels_neon64() { return simd::Kernels<xsimd::neon64>::table("neon64"); }
}  // namespace fsvae::kernels
