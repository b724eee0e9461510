// op_esvae_sampler.cpp: ESVAE's rate sampler (operations.hpp, docs/models.md).
#include "operations.hpp"

#include <algorithm>
#include <cmath>

namespace fsvae {

void EsvaeRateSamplerOp::begin(ImageState& s, const float*) const {
    std::fill(s.z_train.begin(), s.z_train.end(), uint8_t(0));
    if (!inputs().empty()) return;  // reconstruction: the rate is known at step 0
    // rate = sigmoid(W g + b), in double and rounded once, so it is within
    // rounding of the reference's float32 (only a draw within that of the
    // rate could differ).
    const Layer& L = s.model.layer(layer());
    const uint32_t C = s.model.info().latent_dim;
    s.choices.gaussians(s.draws.data());
    for (uint32_t c = 0; c < C; ++c) {
        double a = L.bias[c];
        for (uint32_t j = 0; j < C; ++j) a += double(L.weight[size_t(j) * C + c]) * s.draws[j];
        s.rate[c] = float(1.0 / (1.0 + std::exp(-a)));
    }
    LayerCounters& LC = s.counters.layers[layer()];
    LC.synaptic_ops += uint64_t(C) * C;
    LC.dense_macs += s.dense_macs[layer()];
    LC.events += C;
    ++LC.steps;
}

void EsvaeRateSamplerOp::step(ImageState& s, uint32_t t) const {
    const ModelInfo& I = s.model.info();
    const uint32_t C = I.latent_dim;
    if (t == 0 && !inputs().empty()) {
        // The firing rate over every step: count / T, one rounding as
        // PyTorch's mean of 0/1 values.
        std::fill(s.rate.begin(), s.rate.end(), 0.0f);
        for (uint32_t u = 0; u < I.time_steps; ++u) {
            const uint32_t* fired = input().list(s, u);
            const size_t n = input().n(s, u);
            for (size_t j = 0; j < n; ++j) s.rate[fired[j]] += 1.0f;
        }
        for (uint32_t c = 0; c < C; ++c) s.rate[c] /= float(I.time_steps);
    }
    s.choices.uniforms(t, s.draws.data());
    SpikeSlot& out = s.slots[output()];
    uint32_t* z = out.list(t);
    uint32_t nz = 0;
    uint8_t* zrow = s.z_train.data() + size_t(t) * C;
    for (uint32_t c = 0; c < C; ++c) {
        const uint8_t bit = s.rate[c] > s.draws[c];
        zrow[c] = bit;
        if (bit) z[nz++] = c;
    }
    out.n(t) = nz;
    s.counters.latent_spikes += nz;
}

size_t EsvaeRateSamplerOp::max_spikes(const Model& m) const { return m.info().latent_dim; }

}  // namespace fsvae
