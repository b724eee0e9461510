// op_input_current.cpp: the first encoder layer under the image's constant
// current (operations.hpp).
#include "operations.hpp"

#include <algorithm>

namespace fsvae {

void InputCurrentLifOp::begin(ImageState& s, const float* image) const {
    const ModelInfo& I = s.model.info();
    const Layer& E0 = s.model.layer(layer());
    Membranes& m = s.membranes[layer()];
    if (m.touched) std::fill(m.u.begin(), m.u.end(), 0.0f);
    m.touched = false;
    // Direct input: the image is the same at every step, so the
    // convolution's current (bias included) is computed once per image.
    const size_t HW = size_t(I.image_height) * I.image_width, C = I.image_channels;
    for (size_t p = 0; p < HW; ++p)
        for (size_t c = 0; c < C; ++c) s.image_hwc[p * C + c] = image[c * HW + p];
    s.K.broadcast(s.input_current.data(), E0.bias, size_t(E0.spec.out.h) * E0.spec.out.w,
                  E0.spec.out.c);
    LayerCounters& LC = s.counters.layers[layer()];
    LC.synaptic_ops += propagate_values(E0, s.K, s.image_hwc.data(), s.input_current.data(), s.scratch());
    LC.events += E0.spec.in.size();
}

void InputCurrentLifOp::step(ImageState& s, uint32_t t) const {
    const ModelInfo& I = s.model.info();
    Membranes& m = s.membranes[layer()];
    // The image's current takes the place of a bias (leaked ahead, as
    // lif_step does).
    if (!m.touched) s.K.decay_bias(m.u.data(), s.input_current.data(), 1, m.u.size(), I.tau);
    m.touched = true;
    kernels::FireNext next;
    next.tau = I.tau;
    next.bias = s.input_current.data();
    next.channels = m.u.size();
    SpikeSlot& out = s.slots[output()];
    const size_t n = s.K.fire(m.u.data(), m.u.size(), I.vth, out.list(t), next);
    out.n(t) = uint32_t(n);
    s.count_neurons(layer(), out.list(t), n);
    s.record_step(layer(), t, 0, n);  // its input was counted once, with the current
}

size_t InputCurrentLifOp::max_spikes(const Model& m) const { return m.layer(layer()).spec.out.size(); }

}  // namespace fsvae
