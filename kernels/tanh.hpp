// tanh.hpp: the readout's tanh, giving the same bits on every machine (the
// C library's tanhf differs between libms and is not correctly rounded).
// Scalar: it runs once per pixel per image, whatever the kernel table.
#pragma once

namespace fsvae::kernels {

// tanh(x) rounded to float: within 0.5 ulp plus the double evaluation's
// 1e-15 (tanh.cpp says how). Odd, +-1 from |x| >= 9.5 and for infinities,
// x itself below 2^-12 (0, -0 and denormals included), NaN for NaN.
float portable_tanh(float x);

}  // namespace fsvae::kernels
