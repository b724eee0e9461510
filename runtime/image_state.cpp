// image_state.cpp: sizing one image's state (image_state.hpp).
#include "image_state.hpp"

namespace fsvae {

ImageState::ImageState(const Model& m, const kernels::KernelTable& kernels, bool dense_mode,
                       const std::vector<uint64_t>& macs)
    : model(m), K(kernels), dense(dense_mode), dense_macs(macs), T(m.info().time_steps) {
    const ModelInfo& I = model.info();
    membranes.resize(model.layers().size());
    for (size_t i = 0; i < membranes.size(); ++i) {
        const LayerSpec& s = model.layer(i).spec;
        if (s.spiking) membranes[i].u.assign(s.out.size(), 0.0f);
        if (model.layer(i).int8()) membranes[i].acc.assign(s.out.size(), 0);
    }
    mask.assign(size_t(I.latent_dim) * I.k, 0);
    r.resize(I.latent_dim);
    rate.resize(I.latent_dim);
    draws.resize(I.latent_dim);
    if (I.readout == ReadoutKind::Taid) {
        spatial_sums.resize(size_t(T) * I.image_channels);
        gates.resize(size_t(T) * I.image_channels);
        channel_image.resize(I.image_size());
    }
    acc.resize(I.image_size());
    const LayerSpec& f = model.layer(model.topology().final1).spec;
    spike_sum.resize(f.in.size());
    readout_scratch.resize(readout_scratch_floats(f));
    spikes.resize(model.layers().size() * T);
    z_train.resize(size_t(T) * I.latent_dim);
    counters.resize(m, false);  // per-neuron counts when asked for
}

void ImageState::record_step(size_t i, uint32_t t, size_t n_events, size_t n_fired) {
    LayerCounters& C = counters.layers[i];
    spikes[i * T + t] = uint32_t(n_fired);
    C.spikes += n_fired;
    C.spikes_per_step[t] += n_fired;
    C.events += n_events;
    C.dense_macs += dense_macs[i];
    ++C.steps;
}

}  // namespace fsvae
