// op_concat.cpp: the posterior's input [x_lat_t ; z_{t-1}] (operations.hpp).
#include "operations.hpp"

namespace fsvae {

void ConcatOp::step(ImageState& s, uint32_t t) const {
    SpikeSlot& out = s.slots[output()];
    uint32_t* dst = out.list(t);
    const uint32_t* x = input(0).list(s, t);
    const size_t nx = input(0).n(s, t);
    for (size_t i = 0; i < nx; ++i) dst[i] = x[i];
    const uint32_t* z = input(1).list(s, t);
    const size_t nz = input(1).n(s, t);
    for (size_t i = 0; i < nz; ++i) dst[nx + i] = offset_ + z[i];
    out.n(t) = uint32_t(nx + nz);
}

size_t ConcatOp::max_spikes(const Model& m) const {
    return size_t(offset_) + m.info().latent_dim;
}

}  // namespace fsvae
