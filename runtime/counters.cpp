// counters.cpp: counter bookkeeping and the dense operation count.
#include "counters.hpp"

#include <algorithm>

#include "model.hpp"

namespace fsvae {

void Counters::resize(const Model& model, bool neuron_spikes) {
    const ModelInfo& I = model.info();
    layers.assign(model.layers().size(), LayerCounters{});
    for (LayerCounters& l : layers) l.spikes_per_step.assign(I.time_steps, 0);
    keep_neuron_spikes(model, neuron_spikes);
    latent_ones.assign(I.latent_dim, 0);
    choices.assign(I.k, 0);
    image_spikes.clear();
    image_ops.clear();
    images = latent_spikes = 0;
}

void Counters::keep_neuron_spikes(const Model& model, bool on) {
    for (size_t i = 0; i < layers.size(); ++i) {
        const LayerSpec& s = model.layer(i).spec;
        std::vector<uint32_t>& n = layers[i].neuron_spikes;
        if (!on || !s.spiking)
            std::vector<uint32_t>().swap(n);
        else if (n.size() != s.out.size())
            n.assign(s.out.size(), 0);
    }
}

void Counters::resize(size_t n_layers, uint32_t time_steps) {
    layers.assign(n_layers, LayerCounters{});
    for (auto& l : layers) l.spikes_per_step.assign(time_steps, 0);
    latent_ones.clear();
    choices.clear();
    image_spikes.clear();
    image_ops.clear();
    images = latent_spikes = 0;
}

void Counters::clear() {
    for (auto& l : layers) {
        std::fill(l.spikes_per_step.begin(), l.spikes_per_step.end(), 0);
        std::fill(l.neuron_spikes.begin(), l.neuron_spikes.end(), 0);
        l.spikes = l.events = l.synaptic_ops = l.dense_macs = l.steps = 0;
        l.seconds = 0;
    }
    std::fill(latent_ones.begin(), latent_ones.end(), 0);
    std::fill(choices.begin(), choices.end(), 0);
    image_spikes.clear();
    image_ops.clear();
    images = latent_spikes = 0;
}

namespace {
template <class A, class B>
void add(std::vector<A>& a, const std::vector<B>& b) {
    if (a.size() < b.size()) a.resize(b.size(), 0);
    for (size_t i = 0; i < b.size(); ++i) a[i] += b[i];
}
}  // namespace

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
        add(a.spikes_per_step, b.spikes_per_step);
        add(a.neuron_spikes, b.neuron_spikes);
    }
    add(latent_ones, o.latent_ones);
    add(choices, o.choices);
    // Per-image figures: the other's images follow this one's, so batches
    // merged in order keep the images' order.
    image_spikes.insert(image_spikes.end(), o.image_spikes.begin(), o.image_spikes.end());
    image_ops.insert(image_ops.end(), o.image_ops.begin(), o.image_ops.end());
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
