// op_readout.cpp: the image layer and the membrane readout, by linearity
// (operations.hpp, propagate.hpp).
#include "operations.hpp"

#include <algorithm>

namespace fsvae {

void ReadoutOp::begin(ImageState& s, const float*) const {
    std::fill(s.spike_sum.begin(), s.spike_sum.end(), 0.0f);
    s.spike_sum_weight = 0.0f;
    s.acc_valid = false;
}

void ReadoutOp::step(ImageState& s, uint32_t t) const {
    // The layer below added its spikes into S as it fired; its additions
    // count here: one per spike, then, after the last step, the readout's.
    const ModelInfo& I = s.model.info();
    const Layer& F = s.model.layer(layer());
    LayerCounters& C = s.counters.layers[layer()];
    const size_t n = input().n(s, t);
    C.synaptic_ops += n;
    s.spike_sum_weight = I.readout_decay * s.spike_sum_weight + 1.0f;
    if (t + 1 == I.time_steps) {
        C.synaptic_ops += readout_image(F, s.K, s.spike_sum.data(), s.spike_sum_weight,
                                        s.acc.data(), s.readout_scratch.data());
        s.acc_valid = true;
    }
    C.events += n;
    C.dense_macs += s.dense_macs[layer()];
    ++C.steps;
}

}  // namespace fsvae
