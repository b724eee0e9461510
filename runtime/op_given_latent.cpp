// op_given_latent.cpp: a caller's latent trains as z_t (operations.hpp).
#include "operations.hpp"

#include <algorithm>

namespace fsvae {

void GivenLatentOp::begin(ImageState& s, const float*) const {
    std::fill(s.z_train.begin(), s.z_train.end(), uint8_t(0));
}

void GivenLatentOp::step(ImageState& s, uint32_t t) const {
    const uint32_t C = s.model.info().latent_dim;
    const uint8_t* given = s.given_z + size_t(t) * C;
    SpikeSlot& out = s.slots[output()];
    uint32_t* z = out.list(t);
    uint32_t nz = 0;
    uint8_t* zrow = s.z_train.data() + size_t(t) * C;
    for (uint32_t c = 0; c < C; ++c) {
        zrow[c] = given[c];
        if (given[c]) z[nz++] = c;
    }
    out.n(t) = nz;
    s.counters.latent_spikes += nz;
}

size_t GivenLatentOp::max_spikes(const Model& m) const { return m.info().latent_dim; }

}  // namespace fsvae
