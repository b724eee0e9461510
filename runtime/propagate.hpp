// propagate.hpp: one layer's work for one time step, on the event lists of the
// layer below. Only neurons that fired are propagated: each event adds its
// weight row (linear) or its kernel-tap rows (convolutions) into this layer's
// membranes. Turning events into (destination, row) pairs is integer work done
// here; the float work is the kernels'.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "../kernels/kernels.hpp"
#include "model.hpp"

namespace fsvae {

// Scratch for span lists: dst, src, len and scale hold max_pairs(layer)
// entries, chan in.c entries.
struct PairScratch {
    uint32_t* dst;
    uint32_t* src;
    uint32_t* len;
    float* scale;
    uint32_t* chan;
};

// Upper bound on the (destination, row) spans one step of this layer can
// need, event-driven or (dense) through propagate_values.
size_t max_pairs(const LayerSpec& s, bool dense);

// Event lists: indices into the layer's input (channel-last layout), strictly
// increasing, as fire lists them. The scratch holds one set of spans per
// input element (max_pairs), and a
// transposed convolution lists the channels of one pixel's consecutive
// events: an index repeated would list more channels than the pixel has,
// past the scratch, one out of order would break the order of additions
// the output's bytes depend on, and one past the input would read past the
// weights. Throws fsvae::Error naming the layer and the first event that
// breaks the rule. propagate_events and propagate_dense check their events
// with it; lif_step, the step loop's own entry, takes the lists fire and the
// engine make (increasing by construction) and checks them only in debug
// builds (assert).
void check_events(const LayerSpec& s, const uint32_t* events, size_t n);

// A part of a layer's output neurons, [lo, hi): for a linear layer any
// columns, for a convolution whole output rows (multiples of out.w * out.c).
// Parts are computed independently (by different threads) with the same
// operations per neuron as the whole.
struct OutputPart {
    size_t lo = 0, hi = SIZE_MAX;  // the default: every neuron
    size_t size(const LayerSpec& s) const { return std::min(hi, s.out.size()) - lo; }
};
// Splits a layer's output into at most `parts` parts of nearly equal size
// (linear: whole cache lines of columns; convolutions: whole rows).
size_t split_output(const LayerSpec& s, size_t parts, OutputPart* out);

// target += the rows of the `n` events (indices into the layer's input, in
// the channel-last layout) that reach `part`. For a convolution the spans are
// formed per event, so the order of additions is fixed by the events.
// Returns the synaptic operations performed for the part: weight elements
// added, each event's taps that land in the part's outputs, so the parts'
// counts add up to the whole's (and, with every input an event, to
// dense_macs_per_step).
uint64_t propagate_events(const Layer& L, const kernels::KernelTable& K, const uint32_t* events,
                          size_t n, float* target, PairScratch scratch, OutputPart part = {});
// The same for an int8 layer (and only for one; each overload throws
// fsvae::Error on the other kind): target += the rows' exact integer sums.
uint64_t propagate_events(const Layer& L, const kernels::KernelTable& K, const uint32_t* events,
                          size_t n, int32_t* target, PairScratch scratch, OutputPart part = {});

// target += the rows of every input element scaled by its real value (the
// first encoder convolution, whose input is the image itself). Returns the
// operations performed.
uint64_t propagate_values(const Layer& L, const kernels::KernelTable& K, const float* values,
                      float* target, PairScratch scratch);

// The dense baseline: every input element is an event with its value (0 or
// 1), through the scaled kernels. `values` receives the layer's input as a
// dense 0/1 vector (in.size() floats). Returns the multiply-accumulates done.
uint64_t propagate_dense(const Layer& L, const kernels::KernelTable& K, const uint32_t* events,
                         size_t n, float* target, PairScratch scratch, float* values);

// One LIF step: u = tau * u + bias, the events' rows added in, then every
// neuron with u > vth fires (listed in `fired`, reset to 0). Returns the count;
// adds the synaptic operations to *ops. With dense_values non-null the step
// runs dense (propagate_dense). With readout_sum non-null, the step also
// keeps the readout's decayed spike sum of this layer's output (see below).
//
// The leak and bias are applied ahead: fire leaves every membrane at
// tau * u + bias for the next step (kernels::FireNext), so u must hold that
// when a step starts; first_leak brings a layer's zeroed membranes there
// before its first step. Per neuron the operations and their order are those
// of leaking, adding the events, then firing.
//
// On a part of the output (not in dense mode), only the part's membranes
// are stepped; `fired` then receives the part's spikes (whole-layer indices).
//
// An int8 layer (L.int8()) needs `acc`, one int32 per neuron, all zero: the
// events' rows are summed into it exactly, then u = u + scale * acc
// (kernels::AddScaledSumsFn, which zeroes acc again) before firing. Its
// dense mode is the event path (the integer sums are the same).
size_t lif_step(const Layer& L, const kernels::KernelTable& K, float tau, float vth, float* u,
                const uint32_t* events, size_t n_events, uint32_t* fired, PairScratch scratch,
                uint64_t* ops, float* dense_values = nullptr, float* readout_sum = nullptr,
                float readout_decay = 0.0f, OutputPart part = {}, int32_t* acc = nullptr);
void first_leak(const Layer& L, const kernels::KernelTable& K, float tau, float* u,
                OutputPart part = {});
// The FireNext of layer L's part: its leak and bias (and the readout sum, if any).
kernels::FireNext fire_next(const Layer& L, float tau, float* readout_sum = nullptr,
                            float readout_decay = 0.0f, OutputPart part = {});

// The readout by linearity. The image is tanh(sum_t d^(T-1-t) m_t) with
// m_t = W * s_t + b the current of the last (non-spiking) layer for the
// spikes s_t of the layer below, so the sum equals W * S + b * B with
// S = sum_t d^(T-1-t) s_t and B = sum_t d^(T-1-t). The runtime keeps S
// (S = d * S + s_t, laid out like the layer's input, updated by the layer
// below as it fires: lif_step's readout_sum) and B, and applies the layer
// once per image instead of once per step.

// Floats of scratch readout_image needs.
size_t readout_scratch_floats(const LayerSpec& s);
// Multiply-accumulates readout_image performs (the product W * S).
uint64_t readout_macs(const LayerSpec& s);

// out (channel-last, out.h x out.w x out.c) = W * sum + bias * bias_weight.
// Per tap and output channel, the plane sum_ci W[ci, tap, c] * S[ci] is formed
// (accumulate_rows_scaled, ci in order); each output element then starts from
// bias * bias_weight and adds its taps' planes in (ky, kx) order. Returns the
// operations performed (multiply-accumulates and additions).
uint64_t readout_image(const Layer& L, const kernels::KernelTable& K, const float* sum,
                       float bias_weight, float* out, float* scratch);

}  // namespace fsvae
