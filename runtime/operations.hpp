// operations.hpp: the kinds of operation an FSVAE runs (operation.hpp), one
// source file each.
#pragma once

#include "operation.hpp"

namespace fsvae {

// A LIF layer driven by the events of the layer below: linear, strided or
// transposed convolution (propagate.hpp scatters each kind). u = tau * u + b
// plus the events' rows; every u > Vth fires and resets. With
// `keeps_readout_sum` it also keeps the readout's decayed sum of its spikes
// in the same pass (op_readout.cpp). op_lif.cpp.
class LifLayerOp final : public Operation {
public:
    LifLayerOp(size_t layer, SlotInput in, size_t output, bool keeps_readout_sum = false)
        : Operation(layer, output, {in}), keeps_readout_sum_(keeps_readout_sum) {}
    void begin(ImageState& s, const float* image) const override;
    void step(ImageState& s, uint32_t t) const override;
    // Parts of the output neurons (propagate.hpp, OutputPart), each over
    // every step; a layer too small to pay for the split steps whole.
    void run(ImageState& s, uint32_t t0, uint32_t t1, size_t parts) const override;
    size_t max_spikes(const Model& m) const override;

private:
    bool keeps_readout_sum_;
};

// The first encoder layer: a LIF layer under a constant current, the
// convolution of the real-valued image computed once per image (direct
// input: the same image at every step). op_input_current.cpp.
class InputCurrentLifOp final : public Operation {
public:
    InputCurrentLifOp(size_t layer, size_t output) : Operation(layer, output, {}) {}
    void begin(ImageState& s, const float* image) const override;
    void step(ImageState& s, uint32_t t) const override;
    size_t max_spikes(const Model& m) const override;
};

// The posterior's input [x_lat_t ; z_{t-1}]: the events of `x`, then those
// of `z` shifted past x's neurons (`offset`). op_concat.cpp.
class ConcatOp final : public Operation {
public:
    ConcatOp(SlotInput x, SlotInput z, uint32_t offset, size_t output)
        : Operation(kNoLayer, output, {x, z}), offset_(offset) {}
    void begin(ImageState&, const float*) const override {}
    void step(ImageState& s, uint32_t t) const override;
    size_t max_spikes(const Model& m) const override;

private:
    uint32_t offset_;
};

// FSVAE's sampler: for latent c at step t, z_t[c] = out_t[c * k + r] with r
// from the image's ChoiceSource; `in` is the sampled layer (the prior's or
// the posterior's last). Writes z_t's events and the latent train. op_sampler.cpp.
class SamplerOp final : public Operation {
public:
    SamplerOp(SlotInput in, size_t output) : Operation(kNoLayer, output, {in}) {}
    void begin(ImageState& s, const float* image) const override;
    void step(ImageState& s, uint32_t t) const override;
    size_t max_spikes(const Model& m) const override;
};

// The image layer (no LIF) and the membrane readout, by linearity: the layer
// below keeps S = sum_t d^(T-1-t) s_t as it fires; this adds B = sum_t
// d^(T-1-t) and, after the last step, applies the layer once to S and B
// (propagate.hpp, readout_image). op_readout.cpp.
class ReadoutOp final : public Operation {
public:
    ReadoutOp(size_t layer, SlotInput in) : Operation(layer, kNoSlot, {in}) {}
    void begin(ImageState& s, const float* image) const override;
    void step(ImageState& s, uint32_t t) const override;
    size_t max_spikes(const Model&) const override { return 0; }
    bool reads_lists() const override { return false; }  // only how many fired
};

// ESVAE's sampler: z_t[c] = (rate[c] > U_t[c]), U_t from the image's
// ChoiceSource (uniforms). Reconstruction (`in` given): rate[c] is latent
// c's firing rate in `in` (before_latent_layer) over all T steps, so its
// first step needs that layer's T steps run (needs_all_steps). Generation
// (`in` absent, `layer` the sample layer): rate = sigmoid(W g + b) with g
// from the ChoiceSource's Gaussians, formed once per image in begin() and
// counted as that layer's C x C multiply-accumulates. Writes z_t's events
// and the latent train. op_esvae_sampler.cpp.
class EsvaeRateSamplerOp final : public Operation {
public:
    // Reconstruction: the rate of `in`.
    EsvaeRateSamplerOp(SlotInput in, size_t output) : Operation(kNoLayer, output, {in}) {}
    // Generation: the rate of sample layer `layer`.
    EsvaeRateSamplerOp(size_t layer, size_t output) : Operation(layer, output, {}) {}
    void begin(ImageState& s, const float* image) const override;
    void step(ImageState& s, uint32_t t) const override;
    size_t max_spikes(const Model& m) const override;
    bool needs_all_steps() const override { return !inputs().empty(); }
};

// TAID's readout: image = tanh(sum_t g_t m_t), m_t = W s_t + b the image
// layer's current, g_t[c] = sigmoid(sum_u G[u][t] mean_hw m_u[c]) (`gate`:
// the T x T layer, weight[u][t]); by linearity, each step adds only its
// events' spatial sums, and after the last step the image layer is applied
// once per output channel to the gated spike sum. op_taid_readout.cpp.
class TaidReadoutOp final : public Operation {
public:
    TaidReadoutOp(const Model& m, size_t layer, size_t gate, SlotInput in);
    void begin(ImageState& s, const float* image) const override;
    void step(ImageState& s, uint32_t t) const override;
    size_t max_spikes(const Model&) const override { return 0; }
    // The image from the first `steps` steps into s.acc (all T: the model's
    // output; fewer: the image so far, the gate taking only those steps).
    // Returns the operations performed.
    uint64_t image(ImageState& s, uint32_t steps) const;

private:
    size_t gate_;
    std::vector<float> rows_;  // R[e][c]: input e's weights landing inside the image, summed
};

}  // namespace fsvae
