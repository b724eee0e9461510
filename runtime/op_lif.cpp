// op_lif.cpp: a LIF layer on the events of the layer below (operations.hpp).
#include "operations.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>

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
                              keeps_readout_sum_ ? s.spike_sum.data() : nullptr, I.readout_decay,
                              {}, m.acc.data());
    out.n(t) = uint32_t(n);
    s.count_neurons(layer(), out.list(t), n);
    s.record_step(layer(), t, n_in, n);
}

namespace {
// Below this many neuron-steps a run is not split: the fork and join of the
// parts would cost more than they save.
constexpr size_t kMinSplitWork = 2048;
constexpr size_t kMaxParts = 16;
}  // namespace

void LifLayerOp::run(ImageState& s, uint32_t t0, uint32_t t1, size_t parts) const {
    const Layer& L = s.model.layer(layer());
    const LayerSpec& spec = L.spec;
    parts = std::min({parts, s.lanes.size(), kMaxParts});
    if (parts <= 1 || s.dense || spec.out.size() * (t1 - t0) < kMinSplitWork) {
        for (uint32_t t = t0; t < t1; ++t) step(s, t);
        return;
    }
    OutputPart part[kMaxParts];
    parts = split_output(spec, parts, part);
    const ModelInfo& I = s.model.info();
    Membranes& m = s.membranes[layer()];
    const bool first = !m.touched;
    m.touched = true;
    SpikeSlot& out = s.slots[output()];
    uint64_t ops[kMaxParts] = {};
    // Each part writes its spikes where its neurons' indices start in the
    // step's list (a part has at most as many spikes as neurons), then the
    // lists are closed up in part order: the whole layer's order.
    // Each part counts its own neurons' spikes (disjoint), as it finds them:
    // a slot with one list overwrites it at the next step.
    tbb::parallel_for(size_t(0), parts, [&](size_t k) {
        const PairScratch sc = s.lanes[k].view();
        if (first) first_leak(L, s.K, I.tau, m.u.data(), part[k]);
        for (uint32_t t = t0; t < t1; ++t) {
            uint32_t* found = out.list(t) + part[k].lo;
            const size_t nk = lif_step(
                L, s.K, I.tau, I.vth, m.u.data(), input().list(s, t), input().n(s, t), found, sc,
                &ops[k], nullptr, keeps_readout_sum_ ? s.spike_sum.data() : nullptr, I.readout_decay,
                part[k], m.acc.data());
            s.part_spikes[k * s.T + t] = uint32_t(nk);
            s.count_neurons(layer(), found, nk);
        }
    });
    // One list per step, or only the counts where a slot keeps one list for
    // a run over several steps (its lists are not read).
    const bool lists = out.per_step || t1 - t0 == 1;
    for (uint32_t t = t0; t < t1; ++t) {
        uint32_t* list = out.list(t);
        size_t n = 0;
        for (size_t k = 0; k < parts; ++k) {
            const size_t nk = s.part_spikes[k * s.T + t];
            if (lists && n != part[k].lo) std::memmove(list + n, list + part[k].lo, nk * sizeof(uint32_t));
            n += nk;
        }
        out.n(t) = uint32_t(n);
        s.record_step(layer(), t, input().n(s, t), n);
    }
    for (size_t k = 0; k < parts; ++k) s.counters.layers[layer()].synaptic_ops += ops[k];
}

size_t LifLayerOp::max_spikes(const Model& m) const { return m.layer(layer()).spec.out.size(); }

}  // namespace fsvae
