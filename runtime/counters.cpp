// counters.cpp: counter bookkeeping and the dense operation count.
#include "counters.hpp"

namespace fsvae {

void Counters::resize(size_t n_layers, uint32_t time_steps) {
    layers.assign(n_layers, LayerCounters{});
    for (auto& l : layers) l.spikes_per_step.assign(time_steps, 0);
    images = latent_spikes = 0;
}

void Counters::clear() {
    for (auto& l : layers) {
        const size_t T = l.spikes_per_step.size();
        l = LayerCounters{};
        l.spikes_per_step.assign(T, 0);
    }
    images = latent_spikes = 0;
}

void Counters::merge(const Counters& o) {
    if (layers.size() != o.layers.size()) layers.resize(o.layers.size());
    images += o.images;
    latent_spikes += o.latent_spikes;
    for (size_t i = 0; i < o.layers.size(); ++i) {
        LayerCounters& a = layers[i];
        const LayerCounters& b = o.layers[i];
        a.spikes += b.spikes;
        a.events += b.events;
        a.synaptic_ops += b.synaptic_ops;
        a.dense_macs += b.dense_macs;
        a.steps += b.steps;
        a.seconds += b.seconds;
        if (a.spikes_per_step.size() < b.spikes_per_step.size())
            a.spikes_per_step.resize(b.spikes_per_step.size(), 0);
        for (size_t t = 0; t < b.spikes_per_step.size(); ++t)
            a.spikes_per_step[t] += b.spikes_per_step[t];
    }
}

uint64_t dense_macs_per_step(const LayerSpec& s) {
    if (s.kind == LayerKind::Linear) return uint64_t(s.in.size()) * s.out.size();
    const int K = int(s.kernel), S = int(s.stride), P = int(s.padding);
    uint64_t taps = 0;  // (input pixel, tap) pairs that land inside the output
    for (int iy = 0; iy < int(s.in.h); ++iy)
        for (int ix = 0; ix < int(s.in.w); ++ix)
            for (int ky = 0; ky < K; ++ky)
                for (int kx = 0; kx < K; ++kx) {
                    int oy, ox;
                    if (s.kind == LayerKind::ConvTranspose) {
                        oy = S * iy - P + ky;
                        ox = S * ix - P + kx;
                    } else {
                        const int ny = iy + P - ky, nx = ix + P - kx;
                        if (ny < 0 || nx < 0 || ny % S || nx % S) continue;
                        oy = ny / S;
                        ox = nx / S;
                    }
                    taps += oy >= 0 && oy < int(s.out.h) && ox >= 0 && ox < int(s.out.w);
                }
    return taps * s.in.c * s.out.c;
}

}  // namespace fsvae
