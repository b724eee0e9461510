// kernels.hpp: the arithmetic of spike propagation, as plain functions over
// pointers and sizes. They know nothing of models, sessions or threads.
//
// Every kernel exists once as a scalar reference (kernels_scalar.cpp) and once
// per SIMD instruction set (kernels_simd.hpp instantiated per architecture).
// All variants perform the same float operations in the same order for every
// output element (additions in event order, no fused multiply-add), so they
// agree bit for bit and a model gives the same output on every ISA.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fsvae::kernels {

// out[j] += sum over a of rows[active[a] * row_stride + j] for j < row_len,
// a in event order. One weight row per input neuron that fired (linear
// layers); row_len < row_stride adds a column range of the rows (a batch's
// images share one range of the weights while it is in cache).
using AccumulateRowsFn = void (*)(float* out, const float* rows, const uint32_t* active,
                                  size_t n_active, size_t row_len, size_t row_stride);

// out[j] += (0 + sum over a of rows[active[a] * row_stride + j]) for
// j < row_len, a in event order: the rows summed first, from zero, and the
// sum then added to out (one addition per element). A transposed
// convolution adds the sum of one input pixel's channel rows, for the taps
// of one kernel row, to the output pixels those taps reach.
using AddRowSumsFn = void (*)(float* out, const float* rows, const uint32_t* active,
                              size_t n_active, size_t row_len, size_t row_stride);

// out[j] += sum over i < n_rows of scale[i] * rows[i * row_stride + j] for
// j < row_len, i in order: a dense matrix-vector product (the dense execution
// mode, the readout's planes).
using AccumulateRowsScaledFn = void (*)(float* out, const float* rows, const float* scale,
                                        size_t n_rows, size_t row_len, size_t row_stride);

// For i in 0..n-1: out[dst[i] .. dst[i] + len[i]) += rows[src[i] .. src[i] + len[i]).
// dst and src are element offsets. Convolutions: one span per event and
// kernel row; a span covers the consecutive output pixels that consecutive
// taps reach (all taps of a kernel row, for a transposed convolution).
using ScatterRowsFn = void (*)(float* out, const float* rows, const uint32_t* dst,
                               const uint32_t* src, const uint32_t* len, size_t n);

// Like ScatterRowsFn with each span multiplied by scale[i]: out += scale[i] * row.
// Used where the input is real-valued (the first encoder convolution).
using ScatterRowsScaledFn = void (*)(float* out, const float* rows, const uint32_t* dst,
                                     const uint32_t* src, const uint32_t* len,
                                     const float* scale, size_t n);

// Leak and bias of a LIF layer before this step's events arrive:
// u[p * channels + c] = tau * u[p * channels + c] + bias[c].
// A neuron that fired last step holds u = 0 (hard reset), so this equals the
// published u_t = tau * u_{t-1} * (1 - o_{t-1}) + x_t once events are added.
using DecayBiasFn = void (*)(float* u, const float* bias, size_t pixels, size_t channels,
                             float tau);

// What fire does to every neuron after the threshold: the leak and bias of
// the next step (decay_bias: u = tau * u + bias[i mod channels]), applied in
// the same pass so that the next step does not read and write u for them;
// and, with sum non-null, the readout's decayed spike sum:
// sum[i] = sum_decay * sum[i] + (1 if i fired, else 0).
struct FireNext {
    float tau = 0;
    const float* bias = nullptr;
    size_t channels = 1;  // bias entries; u is pixels x channels
    float* sum = nullptr;
    float sum_decay = 0;
};

// Threshold: for every i with u[i] > vth (strictly) append i to fired and set
// u[i] = 0 (hard reset); then apply `next`. Returns the number appended, in
// increasing order. May write up to one vector's worth of entries past the
// count (fired holds one entry per neuron).
using FireFn = size_t (*)(float* u, size_t n, float vth, uint32_t* fired, const FireNext& next);

// Fill: out[p * channels + c] = bias[c].
using BroadcastFn = void (*)(float* out, const float* bias, size_t pixels, size_t channels);

// The int8 kernels (layers with int8 weights, model.hpp). Sums are exact
// integers, so unlike the float kernels their order does not matter: every
// ISA, blocking and event order gives the same int32 values. A row adds at
// most 127 in magnitude per event, so the SIMD variants sum up to
// kInt16Events events in int16 lanes (258 x 127 = 32,766 < 2^15) before
// widening into the int32 sums; a neuron's sum over one step is at most
// 127 x fan-in, far inside int32 (model.cpp).
constexpr size_t kInt16Events = 258;

// out[j] += sum over a of rows[active[a] * row_stride + j] for j < row_len
// (accumulate_rows, in integers): a linear layer's rows.
using AccumulateRowsI8Fn = void (*)(int32_t* out, const int8_t* rows, const uint32_t* active,
                                    size_t n_active, size_t row_len, size_t row_stride);
// The same sums (add_row_sums, in integers, where the order of additions
// changes no value): a transposed convolution's short spans, summed the way
// that is fastest for them.
using AddRowSumsI8Fn = AccumulateRowsI8Fn;

// For i in 0..n-1: out[dst[i] .. dst[i] + len[i]) += rows[src[i] .. src[i] + len[i])
// (scatter_rows, in integers).
using ScatterRowsI8Fn = void (*)(int32_t* out, const int8_t* rows, const uint32_t* dst,
                                 const uint32_t* src, const uint32_t* len, size_t n);

// Brings a step's integer sums into the membranes, before fire:
// u[i] = u[i] + scale[c] * float(sum[i]) with c = i mod channels (the
// product rounded once, then the addition), and sum[i] = 0 for the next
// step. u already holds tau * u + bias (FireNext), so the membrane is
// tau * u + bias + scale * sum, in that order on every ISA.
using AddScaledSumsFn = void (*)(float* u, int32_t* sum, const float* scale, size_t pixels,
                                 size_t channels);

struct KernelTable {
    const char* isa;  // "scalar", "sse2", "avx2", "avx512" (AVX-512F and BW), "neon64"
    AccumulateRowsFn accumulate_rows;
    AddRowSumsFn add_row_sums;
    AccumulateRowsScaledFn accumulate_rows_scaled;
    ScatterRowsFn scatter_rows;
    ScatterRowsScaledFn scatter_rows_scaled;
    DecayBiasFn decay_bias;
    FireFn fire;
    BroadcastFn broadcast;
    AccumulateRowsI8Fn accumulate_rows_i8;
    AddRowSumsI8Fn add_row_sums_i8;
    ScatterRowsI8Fn scatter_rows_i8;
    AddScaledSumsFn add_scaled_sums;
};

// The scalar reference kernels.
const KernelTable& scalar_kernels();

// Every kernel table this build contains and this CPU and OS can run, best
// first; the last entry is always the scalar reference.
// Tables are static: the pointers stay valid for the life of the process.
size_t available_kernels(const KernelTable** out, size_t capacity);

// The table to use: the best available one, or the one named by the
// environment variable FSVAE_ISA ("scalar", "sse2", "avx2", "avx512",
// "neon64") when it is available. An unknown or unavailable name falls back
// to the best table; `note`, if given, receives a line saying so.
const KernelTable& select_kernels(const char** note = nullptr);

// The table with this name if available, else nullptr.
const KernelTable* find_kernels(const char* isa);

}  // namespace fsvae::kernels
