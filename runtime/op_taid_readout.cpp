// op_taid_readout.cpp: TAID's gated readout across the T steps
// (operations.hpp, docs/models.md). The gate depends on every step's
// current, so the currents are kept, not summed as the membrane readout's.
#include "operations.hpp"

#include <algorithm>
#include <cmath>

namespace fsvae {

void TaidReadoutOp::begin(ImageState& s, const float*) const { s.acc_valid = false; }

void TaidReadoutOp::step(ImageState& s, uint32_t t) const {
    const ModelInfo& I = s.model.info();
    const Layer& F = s.model.layer(layer());
    LayerCounters& C = s.counters.layers[layer()];
    float* m = s.step_currents.data() + size_t(t) * I.image_size();
    s.K.broadcast(m, F.bias, size_t(F.spec.out.h) * F.spec.out.w, F.spec.out.c);
    const uint32_t* events = input().list(s, t);
    const size_t n = input().n(s, t);
    C.synaptic_ops += s.dense ? propagate_dense(F, s.K, events, n, m, s.scratch(), s.dense_values.data())
                              : propagate_events(F, s.K, events, n, m, s.scratch());
    if (t + 1 == I.time_steps) {
        C.synaptic_ops += taid_image(s, s.model.layer(gate_), I.time_steps);
        s.acc_valid = true;
    }
    C.events += n;
    C.dense_macs += s.dense_macs[layer()];
    ++C.steps;
}

uint64_t taid_image(ImageState& s, const Layer& gate, uint32_t steps) {
    const ModelInfo& I = s.model.info();
    const size_t T = I.time_steps, Ch = I.image_channels, HW = size_t(I.image_height) * I.image_width;
    const float* m = s.step_currents.data();
    // The spatial mean of each step's current per channel, rounded to
    // float as the reference's mean; the gate's sums and the weighted sum
    // in double, rounded once.
    std::vector<float>& g = s.gates;  // first the means [t][c], then the gates
    for (size_t t = 0; t < steps; ++t)
        for (size_t c = 0; c < Ch; ++c) {
            double sum = 0;
            for (size_t p = 0; p < HW; ++p) sum += m[t * HW * Ch + p * Ch + c];
            g[t * Ch + c] = float(sum / double(HW));
        }
    double a[4096];  // T <= 4096 (model.cpp); one channel at a time
    for (size_t c = 0; c < Ch; ++c) {
        for (size_t t = 0; t < steps; ++t) {
            double v = 0;
            for (size_t u = 0; u < steps; ++u) v += double(gate.weight[u * T + t]) * g[u * Ch + c];
            a[t] = v;
        }
        for (size_t t = 0; t < steps; ++t) g[t * Ch + c] = float(1.0 / (1.0 + std::exp(-a[t])));
    }
    for (size_t p = 0; p < HW; ++p)
        for (size_t c = 0; c < Ch; ++c) {
            double v = 0;
            for (size_t t = 0; t < steps; ++t) v += double(g[t * Ch + c]) * m[t * HW * Ch + p * Ch + c];
            s.acc[p * Ch + c] = float(v);
        }
    if (steps == 0) std::fill(s.acc.begin(), s.acc.end(), 0.0f);
    return uint64_t(steps) * HW * Ch * 2 + uint64_t(steps) * steps * Ch;
}

}  // namespace fsvae
