// op_taid_readout.cpp: TAID's gated readout across the T steps
// (operations.hpp, docs/models.md), by linearity.
//
// The image is tanh(sum_t g_t m_t) with m_t = W s_t + b the image layer's
// current for the spikes s_t of the layer below, and the gate g_t[c] =
// sigmoid(sum_u G[u][t] mean_hw m_u[c]). Both parts are linear in s_t:
//   * the spatial sum of m_t[c] is sum over s_t's events e of R[e][c] (the
//     sum of e's weights that land inside the image) plus H*W*b[c], so each
//     step costs one addition per event and output channel;
//   * sum_t g_t[c] m_t[c] = W_c * (sum_t g_t[c] s_t) + b[c] * sum_t g_t[c],
//     the image layer applied once per output channel (readout_image) to
//     the gated spike sum, instead of once per step.
// The spike lists of every step are kept (the slot holds all T) until the
// gates are known.
#include "operations.hpp"

#include <algorithm>
#include <cmath>

namespace fsvae {

namespace {

// R[e][c] for every input element e of image layer F (channel-last), in
// double, rounded once.
std::vector<float> spatial_rows(const Layer& F) {
    const LayerSpec& s = F.spec;
    const size_t Cin = s.in.c, Cout = s.out.c, K = s.kernel;
    std::vector<float> R(s.in.size() * Cout);
    std::vector<double> row(Cout);
    for (uint32_t iy = 0; iy < s.in.h; ++iy)
        for (uint32_t ix = 0; ix < s.in.w; ++ix)
            for (size_t ci = 0; ci < Cin; ++ci) {
                std::fill(row.begin(), row.end(), 0.0);
                for (size_t ky = 0; ky < K; ++ky)
                    for (size_t kx = 0; kx < K; ++kx) {
                        const long oy = long(s.stride) * iy - long(s.padding) + long(ky);
                        const long ox = long(s.stride) * ix - long(s.padding) + long(kx);
                        if (oy < 0 || ox < 0 || oy >= long(s.out.h) || ox >= long(s.out.w)) continue;
                        const float* w = F.weight + ((ci * K + ky) * K + kx) * Cout;
                        for (size_t c = 0; c < Cout; ++c) row[c] += w[c];
                    }
                const size_t e = (size_t(iy) * s.in.w + ix) * Cin + ci;
                for (size_t c = 0; c < Cout; ++c) R[e * Cout + c] = float(row[c]);
            }
    return R;
}

}  // namespace

TaidReadoutOp::TaidReadoutOp(const Model& m, size_t layer, size_t gate, SlotInput in)
    : Operation(layer, kNoSlot, {in}), gate_(gate), rows_(spatial_rows(m.layer(layer))) {}

void TaidReadoutOp::begin(ImageState& s, const float*) const { s.acc_valid = false; }

void TaidReadoutOp::step(ImageState& s, uint32_t t) const {
    const ModelInfo& I = s.model.info();
    const Layer& F = s.model.layer(layer());
    const size_t Cout = F.spec.out.c;
    LayerCounters& C = s.counters.layers[layer()];
    const uint32_t* events = input().list(s, t);
    const size_t n = input().n(s, t);
    // The spatial sum of m_t per output channel, bias included.
    float* sum = s.spatial_sums.data() + size_t(t) * Cout;
    const float hw = float(size_t(F.spec.out.h) * F.spec.out.w);
    if (Cout == 1) {
        // Four partial sums: one chain of dependent additions would cost
        // an addition's latency per spike.
        float part[4] = {0, 0, 0, 0};
        size_t j = 0;
        for (; j + 4 <= n; j += 4)
            for (size_t l = 0; l < 4; ++l) part[l] += rows_[events[j + l]];
        for (; j < n; ++j) part[0] += rows_[events[j]];
        sum[0] = hw * F.bias[0] + ((part[0] + part[1]) + (part[2] + part[3]));
    } else {
        for (size_t c = 0; c < Cout; ++c) sum[c] = hw * F.bias[c];
        for (size_t j = 0; j < n; ++j) {
            const float* r = rows_.data() + size_t(events[j]) * Cout;
            for (size_t c = 0; c < Cout; ++c) sum[c] += r[c];
        }
    }
    C.synaptic_ops += n * Cout;
    if (t + 1 == I.time_steps) {
        C.synaptic_ops += image(s, I.time_steps);
        s.acc_valid = true;
    }
    C.events += n;
    C.dense_macs += s.dense_macs[layer()];
    ++C.steps;
}

uint64_t TaidReadoutOp::image(ImageState& s, uint32_t steps) const {
    const ModelInfo& I = s.model.info();
    const Layer& F = s.model.layer(layer());
    const Layer& G = s.model.layer(gate_);
    const size_t T = I.time_steps, Cout = F.spec.out.c;
    const double hw = double(size_t(F.spec.out.h) * F.spec.out.w);
    uint64_t ops = 0;
    // Gates: g[t][c] = sigmoid(sum_u G[u][t] * mean_u[c]), only the steps run.
    for (size_t c = 0; c < Cout; ++c)
        for (size_t t = 0; t < steps; ++t) {
            double a = 0;
            for (size_t u = 0; u < steps; ++u)
                a += double(G.weight[u * T + t]) * (double(s.spatial_sums[u * Cout + c]) / hw);
            s.gates[t * Cout + c] = float(1.0 / (1.0 + std::exp(-a)));
        }
    ops += uint64_t(steps) * steps * Cout;
    // Per output channel: the gated spike sum, then the image layer once.
    const size_t pixels = size_t(F.spec.out.h) * F.spec.out.w;
    for (size_t c = 0; c < Cout; ++c) {
        std::fill(s.spike_sum.begin(), s.spike_sum.end(), 0.0f);
        float weight = 0.0f;
        for (uint32_t t = 0; t < steps; ++t) {
            const float g = s.gates[t * Cout + c];
            const uint32_t* events = input().list(s, t);
            const size_t n = input().n(s, t);
            for (size_t j = 0; j < n; ++j) s.spike_sum[events[j]] += g;
            weight += g;
            ops += n;
        }
        float* out = Cout == 1 ? s.acc.data() : s.channel_image.data();
        ops += readout_image(F, s.K, s.spike_sum.data(), weight, out, s.readout_scratch.data());
        if (Cout > 1)
            for (size_t p = 0; p < pixels; ++p) s.acc[p * Cout + c] = out[p * Cout + c];
    }
    return ops;
}

}  // namespace fsvae
