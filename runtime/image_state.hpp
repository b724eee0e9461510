// image_state.hpp: one image's running state, as the operations see it:
// membranes per layer, the spike lists that connect operations, the
// sampler's and the readout's state, scratch, trace and counters. A
// Workspace owns one and sizes every buffer in it when it is built, so the
// operations run without allocating.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../kernels/kernels.hpp"
#include "counters.hpp"
#include "model.hpp"
#include "propagate.hpp"
#include "sampler.hpp"

namespace fsvae {

// The spikes an operation emits, one sorted index list per time step. A
// slot whose lists are read only within their own step keeps one list; one
// read later (a step late, or by an operation that runs over all T steps)
// keeps all T. Counts are kept for every step.
struct SpikeSlot {
    std::vector<uint32_t> idx;    // lists x capacity
    std::vector<uint32_t> count;  // per step
    size_t capacity = 0;          // neurons (most spikes per step)
    bool per_step = false;        // T lists rather than one

    uint32_t* list(uint32_t t) { return idx.data() + (per_step ? size_t(t) * capacity : 0); }
    const uint32_t* list(uint32_t t) const { return idx.data() + (per_step ? size_t(t) * capacity : 0); }
    uint32_t& n(uint32_t t) { return count[t]; }
    uint32_t n(uint32_t t) const { return count[t]; }
};

// A layer's membranes.
struct Membranes {
    std::vector<float> u;
    std::vector<int32_t> acc;  // an int8 layer's integer sums (zero between steps)
    bool touched = false;  // u changed since it was last zeroed
};

struct ImageState {
    // dense_macs: per layer, the dense multiply-accumulates of one step.
    ImageState(const Model& model, const kernels::KernelTable& kernels, bool dense,
               const std::vector<uint64_t>& dense_macs);

    const Model& model;
    const kernels::KernelTable& K;
    const bool dense;  // the dense baseline (EngineOptions::dense)
    const std::vector<uint64_t>& dense_macs;
    const uint32_t T;

    std::vector<Membranes> membranes;  // indexed like Model::layers()
    std::vector<SpikeSlot> slots;      // indexed by operation output (Engine)

    // Sampler: this image's choices and the sampled layer's spike mask.
    ChoiceSource choices;
    // Decoding given latent trains: z_t is read from here ([t * C + c], 0/1)
    // instead of sampled; null when sampling.
    const uint8_t* given_z = nullptr;
    std::vector<uint32_t> r;
    std::vector<uint8_t> mask;

    // ESVAE's sampler: each latent's rate, and a step's draws (C each).
    std::vector<float> rate, draws;

    // TAID's readout: the spatial sum of the image layer's current and the
    // gate per step and output channel (T x C), and one channel's image.
    std::vector<float> spatial_sums, gates, channel_image;

    // Readout: the decayed sum S of the last spiking layer's spikes (kept by
    // its fire pass) and B of the bias weight (propagate.hpp); acc the
    // image layer's output (H x W x C), formed after the last step or when
    // read before it.
    std::vector<float> spike_sum;
    float spike_sum_weight = 0.0f;
    std::vector<float> acc, readout_scratch;
    bool acc_valid = false;

    // Reconstruction: the image (channel-last) and the first convolution's
    // current it gives, once per image.
    std::vector<float> image_hwc, input_current;

    // Span scratch of the event scatter (propagate.hpp), sized for the
    // layers run so far: one lane per thread that steps parts of a layer
    // (lane 0 for everything else). Dense mode's 0/1 input vector.
    struct Scratch {
        std::vector<uint32_t> pair_dst, pair_src, pair_len, chan;
        std::vector<float> pair_scale;
        PairScratch view() {
            return {pair_dst.data(), pair_src.data(), pair_len.data(),
                    pair_scale.data(), chan.data()};
        }
    };
    std::vector<Scratch> lanes{1};
    std::vector<float> dense_values;
    PairScratch scratch() { return lanes[0].view(); }
    // Per part and step, the spikes a part of a layer found (LifLayerOp).
    std::vector<uint32_t> part_spikes;  // [part * T + t]

    // What the image did: spikes per layer per step, the latent train.
    std::vector<uint32_t> spikes;  // [layer * T + t]
    std::vector<uint8_t> z_train;  // [t * C + c]
    Counters counters;

    // Counts and traces layer i's step t: n_events in, n_fired out.
    void record_step(size_t i, uint32_t t, size_t n_events, size_t n_fired);
    // Adds one to the spike count of each of layer i's n listed neurons
    // (parts of a split layer count their own, disjoint, neurons), when
    // the counters keep them (Workspace::set_neuron_counts sizes them).
    // The indices of one list are distinct, so the four adds of an unrolled
    // round never touch the same count (and restrict lets them overlap).
    void count_neurons(size_t i, const uint32_t* __restrict list, size_t n) {
        std::vector<uint32_t>& counts = counters.layers[i].neuron_spikes;
        if (counts.empty()) return;
        uint32_t* __restrict c = counts.data();
        size_t j = 0;
        for (; j + 4 <= n; j += 4) {
            const uint32_t a = list[j], b = list[j + 1], d = list[j + 2], e = list[j + 3];
            ++c[a];
            ++c[b];
            ++c[d];
            ++c[e];
        }
        for (; j < n; ++j) ++c[list[j]];
    }
};

}  // namespace fsvae
