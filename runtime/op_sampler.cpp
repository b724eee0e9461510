// op_sampler.cpp: FSVAE's k-of-n latent sampler (operations.hpp).
#include "operations.hpp"

#include <algorithm>
#include <cassert>

namespace fsvae {

void SamplerOp::begin(ImageState& s, const float*) const {
    std::fill(s.z_train.begin(), s.z_train.end(), uint8_t(0));
}

void SamplerOp::step(ImageState& s, uint32_t t) const {
    const ModelInfo& I = s.model.info();
    const uint32_t* fired = input().list(s, t);
    const size_t n_fired = input().n(s, t);
    for (size_t j = 0; j < n_fired; ++j) s.mask[fired[j]] = 1;
    s.choices.choices(t, s.r.data());
    SpikeSlot& out = s.slots[output()];
    uint32_t* z = out.list(t);
    uint32_t nz = 0;
    uint8_t* zrow = s.z_train.data() + size_t(t) * I.latent_dim;
    uint64_t* ones = s.counters.latent_ones.data();
    uint64_t* taken = s.counters.choices.data();
    for (uint32_t c = 0; c < I.latent_dim; ++c) {
        assert(s.r[c] < I.k);  // Workspace::check_inputs and ChoiceSource's own checks
        const uint8_t bit = s.mask[size_t(c) * I.k + s.r[c]];
        zrow[c] = bit;
        ones[c] += bit;
        ++taken[s.r[c]];
        if (bit) z[nz++] = c;
    }
    for (size_t j = 0; j < n_fired; ++j) s.mask[fired[j]] = 0;
    out.n(t) = nz;
    s.counters.latent_spikes += nz;
}

size_t SamplerOp::max_spikes(const Model& m) const { return m.info().latent_dim; }

}  // namespace fsvae
