// engine.cpp: the per-image step loop and the oneTBB batch around it.
#include "engine.hpp"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>

#include "propagate.hpp"

namespace fsvae {

Engine::Engine(std::shared_ptr<const Model> model, const kernels::KernelTable* k,
               EngineOptions options)
    : model_(std::move(model)), kernels_(k ? k : &kernels::select_kernels()), options_(options) {
    for (const Layer& L : model_->layers()) dense_macs_.push_back(dense_macs_per_step(L.spec));
}

std::vector<size_t> Engine::spiking_layers(Mode mode) const {
    const Topology& t = model_->topology();
    std::vector<size_t> v;
    if (mode == Mode::Generate) {
        v.assign(std::begin(t.prior), std::end(t.prior));
    } else {
        v = t.encoder;
        v.push_back(t.before_latent);
        v.insert(v.end(), std::begin(t.posterior), std::end(t.posterior));
    }
    v.push_back(t.decoder_input);
    v.insert(v.end(), t.decoder.begin(), t.decoder.end());
    v.push_back(t.final0);
    return v;
}

std::vector<size_t> Engine::layers(Mode mode) const {
    std::vector<size_t> v = spiking_layers(mode);
    v.push_back(model_->topology().final1);
    return v;
}

namespace {
using Clock = std::chrono::steady_clock;
}

Workspace::Workspace(const Engine& engine)
    : engine_(engine), model_(engine.model()), K_(engine.kernels()) {
    const ModelInfo& I = model_.info();
    layers_.resize(model_.layers().size());
    for (size_t i = 0; i < layers_.size(); ++i) {
        const LayerSpec& s = model_.layer(i).spec;
        layers_[i].u.assign(s.out.size(), 0.0f);
        if (s.spiking) layers_[i].fired.assign(s.out.size(), 0);
    }
    size_scratch(Mode::Generate);
    mask_.assign(size_t(I.latent_dim) * I.k, 0);
    r_.resize(I.latent_dim);
    z_.reserve(I.latent_dim);
    z_prev_.reserve(I.latent_dim);
    post_in_.reserve(2 * size_t(I.latent_dim));
    acc_.resize(I.image_size());
    {
        const LayerSpec& f = model_.layer(model_.topology().final1).spec;
        spike_sum_.resize(f.in.size());
        readout_scratch_.resize(readout_scratch_floats(f));
    }
    spikes_.resize(layers_.size() * I.time_steps);
    z_train_.resize(size_t(I.time_steps) * I.latent_dim);
    counters_.resize(layers_.size(), I.time_steps);
}

void Workspace::size_scratch(Mode mode) {
    // Scratch for the layers a mode runs: the encoder's strided convolutions
    // need far more spans than generation, so a workspace that only
    // generates does not hold them.
    size_t pairs = 0, patch = 0, chans = 0, inputs = 0;
    const bool dense = engine_.options().dense;
    for (size_t i : engine_.layers(mode)) {
        const LayerSpec& s = model_.layer(i).spec;
        // The first encoder layer always takes real values (propagate_values).
        const bool values = dense || (mode == Mode::Reconstruct && i == model_.topology().encoder[0]);
        pairs = std::max(pairs, max_pairs(s, values));
        patch = std::max(patch, max_patch_floats(s));
        chans = std::max(chans, size_t(s.in.c));
        inputs = std::max(inputs, s.in.size());
    }
    auto grow = [](auto& v, size_t n) {
        if (v.size() < n) v.resize(n);
    };
    if (dense) grow(dense_values_, inputs);
    grow(patch_, patch);
    grow(chan_, chans);
    grow(pair_dst_, pairs);
    grow(pair_src_, pairs);
    grow(pair_len_, pairs);
    grow(pair_scale_, pairs);
    if (mode == Mode::Reconstruct) {
        const ModelInfo& I = model_.info();
        image_hwc_.resize(I.image_size());
        input_current_.resize(model_.layer(model_.topology().encoder[0]).spec.out.size());
        sized_for_reconstruct_ = true;
    }
}

void Workspace::reset() {
    for (LayerState& L : layers_) {
        if (L.touched) std::fill(L.u.begin(), L.u.end(), 0.0f);  // the mode's layers only
        L.touched = false;
        L.n_fired = 0;
    }
    std::fill(spike_sum_.begin(), spike_sum_.end(), 0.0f);
    spike_sum_weight_ = 0.0f;
    acc_valid_ = false;
    std::fill(spikes_.begin(), spikes_.end(), 0u);
    std::fill(z_train_.begin(), z_train_.end(), uint8_t(0));
    z_.clear();
    z_prev_.clear();
    t_ = 0;
}

const Workspace::LayerState& Workspace::step_layer(size_t i, uint32_t t, const uint32_t* events,
                                                   size_t n, float* readout_sum) {
    LayerState& L = layers_[i];
    LayerCounters& C = counters_.layers[i];
    const ModelInfo& I = model_.info();
    const Clock::time_point t0 = timing_ ? Clock::now() : Clock::time_point{};
    if (!L.touched) {  // the first step's leak (lif_step applies the others ahead)
        first_leak(model_.layer(i), K_, I.tau, L.u.data());
        L.touched = true;
    }
    L.n_fired = lif_step(model_.layer(i), K_, I.tau, I.vth, L.u.data(), events, n, L.fired.data(),
                         scratch(), &C.synaptic_ops, dense(), readout_sum, I.readout_decay);
    if (timing_) C.seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    record_step(i, t, n, L.n_fired);
    return L;
}

void Workspace::record_step(size_t i, uint32_t t, size_t n_events, size_t n_fired) {
    LayerCounters& C = counters_.layers[i];
    spikes_[i * model_.info().time_steps + t] = uint32_t(n_fired);
    C.spikes += n_fired;
    C.spikes_per_step[t] += n_fired;
    C.events += n_events;
    C.dense_macs += engine_.dense_macs(i);
    ++C.steps;
}

void Workspace::sample(size_t last, uint32_t t) {
    const ModelInfo& I = model_.info();
    const LayerState& L = layers_[last];
    for (size_t j = 0; j < L.n_fired; ++j) mask_[L.fired[j]] = 1;
    choices_.choices(t, r_.data());
    std::swap(z_prev_, z_);
    z_.clear();
    uint8_t* zrow = z_train_.data() + size_t(t) * I.latent_dim;
    for (uint32_t c = 0; c < I.latent_dim; ++c) {
        const uint8_t bit = mask_[size_t(c) * I.k + r_[c]];
        zrow[c] = bit;
        if (bit) z_.push_back(c);
    }
    for (size_t j = 0; j < L.n_fired; ++j) mask_[L.fired[j]] = 0;
    counters_.latent_spikes += z_.size();
}

void Workspace::decode_step(uint32_t t) {
    const Topology& T = model_.topology();
    const ModelInfo& I = model_.info();
    const LayerState* in = &step_layer(T.decoder_input, t, z_.data(), z_.size());
    for (size_t d : T.decoder) in = &step_layer(d, t, in->fired.data(), in->n_fired);
    // The last spiking layer keeps the readout's decayed sum of its spikes as
    // it fires (its time includes that).
    in = &step_layer(T.final0, t, in->fired.data(), in->n_fired, spike_sum_.data());

    // The last layer is not spiking and linear: the readout applies it once,
    // after the last step, to that sum (propagate.hpp). Its additions: one
    // per spike into the sum, then the readout's.
    const Clock::time_point t0 = timing_ ? Clock::now() : Clock::time_point{};
    const Layer& F = model_.layer(T.final1);
    LayerCounters& C = counters_.layers[T.final1];
    C.synaptic_ops += in->n_fired;
    spike_sum_weight_ = I.readout_decay * spike_sum_weight_ + 1.0f;
    if (t + 1 == I.time_steps) {
        C.synaptic_ops += readout_image(F, K_, spike_sum_.data(), spike_sum_weight_, acc_.data(),
                                        readout_scratch_.data());
        acc_valid_ = true;
    }
    if (timing_) C.seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    C.events += in->n_fired;
    C.dense_macs += engine_.dense_macs(T.final1);
    ++C.steps;
}

void Workspace::encode_input(const float* image) {
    // Direct input: the image is the same at every step, so the first
    // convolution's current (bias included) is computed once per image.
    const Topology& T = model_.topology();
    const ModelInfo& I = model_.info();
    const Clock::time_point t0 = timing_ ? Clock::now() : Clock::time_point{};
    const Layer& E0 = model_.layer(T.encoder[0]);
    const size_t HW = size_t(I.image_height) * I.image_width, C = I.image_channels;
    for (size_t p = 0; p < HW; ++p)
        for (size_t c = 0; c < C; ++c) image_hwc_[p * C + c] = image[c * HW + p];
    K_.broadcast(input_current_.data(), E0.bias, size_t(E0.spec.out.h) * E0.spec.out.w,
                 E0.spec.out.c);
    LayerCounters& LC = counters_.layers[T.encoder[0]];
    LC.synaptic_ops += propagate_values(
        E0, K_, image_hwc_.data(), input_current_.data(),
        scratch());
    LC.events += E0.spec.in.size();
    if (timing_) LC.seconds += std::chrono::duration<double>(Clock::now() - t0).count();
}

void Workspace::prior_step(uint32_t t) {
    const Topology& T = model_.topology();
    // z_ holds z_{t-1} here; sample() moves it to z_prev_ and writes z_t.
    const LayerState* in = &step_layer(T.prior[0], t, z_.data(), z_.size());
    in = &step_layer(T.prior[1], t, in->fired.data(), in->n_fired);
    step_layer(T.prior[2], t, in->fired.data(), in->n_fired);
    sample(T.prior[2], t);
}

void Workspace::posterior_step(uint32_t t) {
    const Topology& T = model_.topology();
    const ModelInfo& I = model_.info();
    {
        const Clock::time_point t0 = timing_ ? Clock::now() : Clock::time_point{};
        const size_t e0 = T.encoder[0];
        LayerState& L0 = layers_[e0];
        LayerCounters& C = counters_.layers[e0];
        // The image's current takes the place of a bias (leaked ahead, as
        // lif_step does).
        if (!L0.touched) K_.decay_bias(L0.u.data(), input_current_.data(), 1, L0.u.size(), I.tau);
        L0.touched = true;
        kernels::FireNext next;
        next.tau = I.tau;
        next.bias = input_current_.data();
        next.channels = L0.u.size();
        L0.n_fired = K_.fire(L0.u.data(), L0.u.size(), I.vth, L0.fired.data(), next);
        if (timing_) C.seconds += std::chrono::duration<double>(Clock::now() - t0).count();
        spikes_[e0 * I.time_steps + t] = uint32_t(L0.n_fired);
        C.spikes += L0.n_fired;
        C.spikes_per_step[t] += L0.n_fired;
        C.dense_macs += engine_.dense_macs(e0);
        ++C.steps;
    }
    const LayerState* in = &layers_[T.encoder[0]];
    for (size_t e = 1; e < T.encoder.size(); ++e)
        in = &step_layer(T.encoder[e], t, in->fired.data(), in->n_fired);
    const LayerState& lat = step_layer(T.before_latent, t, in->fired.data(), in->n_fired);

    // Posterior input [x_lat_t ; z_{t-1}]: z indices shifted past x's.
    post_in_.assign(lat.fired.begin(), lat.fired.begin() + long(lat.n_fired));
    for (uint32_t c : z_) post_in_.push_back(I.latent_dim + c);
    in = &step_layer(T.posterior[0], t, post_in_.data(), post_in_.size());
    in = &step_layer(T.posterior[1], t, in->fired.data(), in->n_fired);
    step_layer(T.posterior[2], t, in->fired.data(), in->n_fired);
    sample(T.posterior[2], t);
}

void Workspace::begin(Mode mode, const ChoiceSource& choices, const float* image) {
    if (mode == Mode::Reconstruct && !sized_for_reconstruct_) size_scratch(mode);
    reset();
    mode_ = mode;
    choices_ = choices;
    if (mode == Mode::Reconstruct) encode_input(image);
    ++counters_.images;
}

bool Workspace::step() {
    if (t_ >= model_.info().time_steps) return false;
    if (mode_ == Mode::Generate)
        prior_step(t_);
    else
        posterior_step(t_);
    decode_step(t_);
    ++t_;
    return true;
}

void Workspace::read_image(float* out) const {
    const ModelInfo& I = model_.info();
    if (!acc_valid_)  // before the last step: the readout so far, not counted
        readout_image(model_.layer(model_.topology().final1), K_, spike_sum_.data(),
                      spike_sum_weight_, acc_.data(), readout_scratch_.data());
    const size_t HW = size_t(I.image_height) * I.image_width, C = I.image_channels;
    for (size_t p = 0; p < HW; ++p)
        for (size_t c = 0; c < C; ++c) out[c * HW + p] = std::tanh(acc_[p * C + c]);
}

void Workspace::read_trace(ImageTrace* trace) const {
    trace->spikes = spikes_;
    trace->z = z_train_;
}

void Workspace::generate(const ChoiceSource& choices, float* out, ImageTrace* trace) {
    begin(Mode::Generate, choices);
    while (step()) {
    }
    read_image(out);
    if (trace) read_trace(trace);
}

void Workspace::reconstruct(const float* image, const ChoiceSource& choices, float* out,
                            ImageTrace* trace) {
    begin(Mode::Reconstruct, choices, image);
    while (step()) {
    }
    read_image(out);
    if (trace) read_trace(trace);
}

namespace {

// Runs a batch on `threads` workers, handing `per_image(ws, i)` each image
// with a workspace kept per thread.
template <class PerImage>
void run_batch(const Engine& engine, const BatchOptions& o, std::vector<ImageTrace>* traces,
               Counters* counters, PerImage&& per_image) {
    if (traces) traces->assign(o.count, ImageTrace{});
    const int threads = o.threads > 0 ? o.threads : tbb::this_task_arena::max_concurrency();
    tbb::task_arena arena(threads);
    tbb::enumerable_thread_specific<std::unique_ptr<Workspace>> pools;
    std::atomic<size_t> done{0};
    arena.execute([&] {
        tbb::parallel_for(tbb::blocked_range<size_t>(0, o.count), [&](const tbb::blocked_range<size_t>& range) {
            auto& ws = pools.local();
            if (!ws) {
                ws = std::make_unique<Workspace>(engine);
                ws->set_timing(o.timing);
            }
            for (size_t i = range.begin(); i < range.end(); ++i) {
                per_image(*ws, i);
                const size_t d = ++done;
                if (o.progress) o.progress(d);
            }
        });
    });
    if (counters) {
        counters->resize(engine.model().layers().size(), engine.model().info().time_steps);
        for (const auto& ws : pools)
            if (ws) counters->merge(ws->counters());
    }
}

}  // namespace

void generate_batch(const Engine& engine, const BatchOptions& o, float* out,
                    std::vector<ImageTrace>* traces, Counters* counters) {
    const ModelInfo& I = engine.model().info();
    run_batch(engine, o, traces, counters, [&](Workspace& ws, size_t i) {
        const ChoiceSource choices(o.seed, o.first_index + i, I.k, I.latent_dim);
        ws.generate(choices, out + i * I.image_size(), traces ? &(*traces)[i] : nullptr);
    });
}

void reconstruct_batch(const Engine& engine, const BatchOptions& o, const float* images,
                       float* out, std::vector<ImageTrace>* traces, Counters* counters) {
    const ModelInfo& I = engine.model().info();
    run_batch(engine, o, traces, counters, [&](Workspace& ws, size_t i) {
        const ChoiceSource choices(o.seed, o.first_index + i, I.k, I.latent_dim);
        ws.reconstruct(images + i * I.image_size(), choices, out + i * I.image_size(),
                       traces ? &(*traces)[i] : nullptr);
    });
}

}  // namespace fsvae
