// op_lif.cpp: a LIF layer on the events of the layer below (operations.hpp).
#include "operations.hpp"

#include <algorithm>

namespace fsvae {

void LifLayerOp::begin(ImageState& s, const float*) const {
    Membranes& m = s.membranes[layer()];
    if (m.touched) std::fill(m.u.begin(), m.u.end(), 0.0f);
    m.touched = false;
}

void LifLayerOp::step(ImageState& s, uint32_t t) const {
    const Layer& L = s.model.layer(layer());
    const ModelInfo& I = s.model.info();
    Membranes& m = s.membranes[layer()];
    if (!m.touched) {  // the first step's leak (lif_step applies the others ahead)
        first_leak(L, s.K, I.tau, m.u.data());
        m.touched = true;
    }
    SpikeSlot& out = s.slots[output()];
    const size_t n_in = input().n(s, t);
    const size_t n = lif_step(L, s.K, I.tau, I.vth, m.u.data(), input().list(s, t), n_in,
                              out.list(t), s.scratch(), &s.counters.layers[layer()].synaptic_ops,
                              s.dense ? s.dense_values.data() : nullptr,
                              keeps_readout_sum_ ? s.spike_sum.data() : nullptr, I.readout_decay);
    out.n(t) = uint32_t(n);
    s.record_step(layer(), t, n_in, n);
}

size_t LifLayerOp::max_spikes(const Model& m) const { return m.layer(layer()).spec.out.size(); }

}  // namespace fsvae
