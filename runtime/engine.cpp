// engine.cpp: the per-image step loop and the oneTBB batch around it.
#include "engine.hpp"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "../kernels/tanh.hpp"
#include "error.hpp"
#include "propagate.hpp"

namespace fsvae {

Engine::Engine(std::shared_ptr<const Model> model, const kernels::KernelTable* k,
               EngineOptions options)
    : model_(std::move(model)), kernels_(k ? k : &kernels::select_kernels()), options_(options) {
    for (const Layer& L : model_->layers()) dense_macs_.push_back(dense_macs_per_step(L.spec));
    if (options_.lazy_sampling && !options_.dense) {
        prior_t_ = transpose_weights(model_->layer(model_->topology().prior[2]));
        posterior_t_ = transpose_weights(model_->layer(model_->topology().posterior[2]));
    }
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
    lazy_spikes_.resize(I.time_steps);
    const LayerSpec& sampled = model_.layer(model_.topology().prior[2]).spec;
    if (engine.transposed(Mode::Generate))
        lazy_.resize(sampled.out.size(), sampled.in.size(), I.time_steps);
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

namespace {

// Columns of a linear layer's weights added for a whole group at a time: the
// widest multiple of 64 floats whose rows (in x columns) take at most 256 KB,
// so that the range stays in a core's L2 while every image of the group adds
// its rows from it.
size_t group_columns(const LayerSpec& s) {
    const size_t budget = (256u << 10) / sizeof(float);
    const size_t cols = std::max<size_t>(64, budget / std::max<size_t>(1, s.in.size()) / 64 * 64);
    return std::min(cols, s.row_len());
}

}  // namespace

void Workspace::step_linear_group(Workspace* const* ws, size_t n, size_t i, size_t below,
                                  uint32_t t) {
    Workspace& w0 = *ws[0];
    const Layer& L = w0.model_.layer(i);
    const LayerSpec& s = L.spec;
    const ModelInfo& I = w0.model_.info();
    const kernels::KernelTable& K = w0.K_;
    const bool timing = w0.timing_;
    const Clock::time_point t0 = timing ? Clock::now() : Clock::time_point{};
    const size_t len = s.row_len();
    for (size_t g = 0; g < n; ++g) {
        LayerState& out = ws[g]->layers_[i];
        if (!out.touched) first_leak(L, K, I.tau, out.u.data());
        out.touched = true;
    }
    // The same additions, in the same order per element, as lif_step: each
    // image's events in order, column range by column range.
    const size_t cols = group_columns(s);
    for (size_t j = 0; j < len; j += cols) {
        const size_t m = std::min(cols, len - j);
        for (size_t g = 0; g < n; ++g) {
            const LayerState& in = ws[g]->layers_[below];
            K.accumulate_rows(ws[g]->layers_[i].u.data() + j, L.weight + j, in.fired.data(),
                              in.n_fired, m, len);
        }
    }
    for (size_t g = 0; g < n; ++g) {
        Workspace& w = *ws[g];
        LayerState& out = w.layers_[i];
        out.n_fired = K.fire(out.u.data(), s.out.size(), I.vth, out.fired.data(), fire_next(L, I.tau));
        const size_t events = w.layers_[below].n_fired;
        w.counters_.layers[i].synaptic_ops += uint64_t(events) * len;
        w.record_step(i, t, events, out.n_fired);
    }
    if (timing) {
        const double share = std::chrono::duration<double>(Clock::now() - t0).count() / double(n);
        for (size_t g = 0; g < n; ++g) ws[g]->counters_.layers[i].seconds += share;
    }
}

void Workspace::generate_group(Workspace* const* ws, size_t n, const ChoiceSource* choices,
                               float* const* out, ImageTrace* const* traces) {
    if (n == 0) return;
    const Engine& E = ws[0]->engine_;
    if (n == 1 || E.options().dense || E.transposed(Mode::Generate)) {
        for (size_t g = 0; g < n; ++g)
            ws[g]->generate(choices[g], out[g], traces ? traces[g] : nullptr);
        return;
    }
    const Model& M = ws[0]->model_;
    const Topology& T = M.topology();
    const ModelInfo& I = M.info();
    for (size_t g = 0; g < n; ++g) ws[g]->begin(Mode::Generate, choices[g]);
    // The prior and the sampler need nothing from the decoder: run them for
    // every image and step first, keeping each image's latent train.
    for (uint32_t t = 0; t < I.time_steps; ++t) {
        for (size_t g = 0; g < n; ++g) {
            Workspace& w = *ws[g];
            const LayerState& p0 = w.step_layer(T.prior[0], t, w.z_.data(), w.z_.size());
            w.step_layer(T.prior[1], t, p0.fired.data(), p0.n_fired);
        }
        step_linear_group(ws, n, T.prior[2], T.prior[1], t);
        for (size_t g = 0; g < n; ++g) ws[g]->sample(T.prior[2], t);
    }
    for (size_t g = 0; g < n; ++g) {
        Workspace& w = *ws[g];
        for (uint32_t t = 0; t < I.time_steps; ++t) {
            w.z_.clear();
            const uint8_t* zrow = w.z_train_.data() + size_t(t) * I.latent_dim;
            for (uint32_t c = 0; c < I.latent_dim; ++c)
                if (zrow[c]) w.z_.push_back(c);
            w.decode_step(t);
        }
        w.t_ = I.time_steps;
        w.read_image(out[g]);
        if (traces && traces[g]) w.read_trace(traces[g]);
    }
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
        assert(r_[c] < I.k);  // check_inputs and ChoiceSource's own checks
        const uint8_t bit = mask_[size_t(c) * I.k + r_[c]];
        zrow[c] = bit;
        if (bit) z_.push_back(c);
    }
    for (size_t j = 0; j < L.n_fired; ++j) mask_[L.fired[j]] = 0;
    counters_.latent_spikes += z_.size();
}

void Workspace::sample_lazy(size_t layer, uint32_t t, const uint32_t* events, size_t n) {
    const ModelInfo& I = model_.info();
    LayerCounters& C = counters_.layers[layer];
    const Clock::time_point t0 = timing_ ? Clock::now() : Clock::time_point{};
    lazy_.record(t, events, n);
    choices_.choices(t, r_.data());
    std::swap(z_prev_, z_);
    z_.clear();
    uint8_t* zrow = z_train_.data() + size_t(t) * I.latent_dim;
    // Spikes found while bringing neurons up to date land on their own step.
    std::vector<uint32_t>& per_step = lazy_spikes_;
    std::fill(per_step.begin(), per_step.end(), 0u);
    for (uint32_t c = 0; c < I.latent_dim; ++c) {
        assert(r_[c] < I.k);
        const bool bit = lazy_.fires(c * I.k + r_[c], t, K_, I.tau, I.vth, &C.synaptic_ops,
                                     per_step.data());
        zrow[c] = bit;
        if (bit) z_.push_back(c);
    }
    if (timing_) C.seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    for (uint32_t s = 0; s <= t; ++s) {
        spikes_[layer * I.time_steps + s] += per_step[s];
        C.spikes += per_step[s];
        C.spikes_per_step[s] += per_step[s];
    }
    C.events += n;
    C.dense_macs += engine_.dense_macs(layer);
    ++C.steps;
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
    if (lazy_on_) return sample_lazy(T.prior[2], t, in->fired.data(), in->n_fired);
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
    if (lazy_on_) return sample_lazy(T.posterior[2], t, in->fired.data(), in->n_fired);
    step_layer(T.posterior[2], t, in->fired.data(), in->n_fired);
    sample(T.posterior[2], t);
}

void Workspace::check_inputs(Mode mode, const ChoiceSource& choices, const float* image) const {
    // What the step loop takes from the caller, checked before it starts: the
    // sampler indexes the sampled layer with c * k + r (r < the source's k),
    // fills latent_dim choices a step, and reads T steps of injected ones;
    // the overflow bound (model.cpp) holds for image values in [-1, 1].
    const ModelInfo& I = model_.info();
    if (choices.k() != I.k || choices.latent_dim() != I.latent_dim)
        throw Error("sampler choices are for k " + std::to_string(choices.k()) + " and " +
                    std::to_string(choices.latent_dim()) + " latents; the model has k " +
                    std::to_string(I.k) + " and " + std::to_string(I.latent_dim) + " latents");
    const size_t injected = choices.injected_steps();
    if (injected != 0 && injected < I.time_steps)
        throw Error("injected sampler choices hold " + std::to_string(injected) +
                    " steps; the model runs " + std::to_string(I.time_steps));
    if (mode != Mode::Reconstruct) return;
    for (size_t i = 0; i < I.image_size(); ++i)
        if (!(image[i] >= -1.0f && image[i] <= 1.0f)) {  // NaN fails both
            char v[32];
            std::snprintf(v, sizeof v, "%g", double(image[i]));
            throw Error("image to reconstruct: value " + std::to_string(i) + " is " + v +
                        "; values must be within [-1, 1]");
        }
}

void Workspace::begin(Mode mode, const ChoiceSource& choices, const float* image) {
    check_inputs(mode, choices, image);
    if (mode == Mode::Reconstruct && !sized_for_reconstruct_) size_scratch(mode);
    reset();
    mode_ = mode;
    choices_ = choices;
    const Topology& T = model_.topology();
    lazy_on_ = !force_eager_ && engine_.transposed(mode) != nullptr;
    if (lazy_on_)
        lazy_.begin(model_.layer(mode == Mode::Generate ? T.prior[2] : T.posterior[2]),
                    engine_.transposed(mode));
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
        for (size_t c = 0; c < C; ++c) out[c * HW + p] = kernels::portable_tanh(acc_[p * C + c]);
}

void Workspace::read_trace(ImageTrace* trace) const {
    trace->spikes = spikes_;
    trace->z = z_train_;
}

void Workspace::generate(const ChoiceSource& choices, float* out, ImageTrace* trace) {
    // A trace records every spike, so a traced image runs every neuron.
    force_eager_ = trace != nullptr;
    begin(Mode::Generate, choices);
    force_eager_ = false;
    while (step()) {
    }
    read_image(out);
    if (trace) read_trace(trace);
}

void Workspace::reconstruct(const float* image, const ChoiceSource& choices, float* out,
                            ImageTrace* trace) {
    force_eager_ = trace != nullptr;
    begin(Mode::Reconstruct, choices, image);
    force_eager_ = false;
    while (step()) {
    }
    read_image(out);
    if (trace) read_trace(trace);
}

namespace {

// Runs a batch on `threads` workers, handing each `per_group(ws, first, n)`
// groups of up to `group` consecutive images and a workspace per image
// (kept per thread). Every thread gets work: groups are no larger than an
// even share of the batch.
template <class PerGroup>
void run_batch(const Engine& engine, const BatchOptions& o, size_t group,
               std::vector<ImageTrace>* traces, Counters* counters, PerGroup&& per_group) {
    if (traces) traces->assign(o.count, ImageTrace{});
    const int threads = o.threads > 0 ? o.threads : tbb::this_task_arena::max_concurrency();
    const size_t per_thread = (o.count + size_t(threads) - 1) / size_t(threads);
    group = std::max<size_t>(1, std::min({group, per_thread, kMaxGenerateGroup}));
    tbb::task_arena arena(threads);
    tbb::enumerable_thread_specific<std::vector<std::unique_ptr<Workspace>>> pools;
    std::atomic<size_t> done{0};
    arena.execute([&] {
        tbb::parallel_for(
            tbb::blocked_range<size_t>(0, o.count, group),
            [&](const tbb::blocked_range<size_t>& range) {
                auto& pool = pools.local();
                Workspace* ws[kMaxGenerateGroup];
                for (size_t i0 = range.begin(); i0 < range.end(); i0 += group) {
                    const size_t n = std::min(group, range.end() - i0);
                    while (pool.size() < n) {
                        pool.push_back(std::make_unique<Workspace>(engine));
                        pool.back()->set_timing(o.timing);
                    }
                    for (size_t g = 0; g < n; ++g) ws[g] = pool[g].get();
                    per_group(ws, i0, n);
                    const size_t d = done += n;
                    if (o.progress) o.progress(d);
                }
            });
    });
    if (counters) {
        counters->resize(engine.model().layers().size(), engine.model().info().time_steps);
        for (const auto& pool : pools)
            for (const auto& ws : pool) counters->merge(ws->counters());
    }
}

}  // namespace

void generate_batch(const Engine& engine, const BatchOptions& o, float* out,
                    std::vector<ImageTrace>* traces, Counters* counters) {
    const ModelInfo& I = engine.model().info();
    // Groups (Workspace::generate_group) when asked for; dense mode and lazy
    // sampling run images one by one.
    const bool lockstep = !engine.options().dense && !engine.transposed(Mode::Generate);
    const size_t group = lockstep ? engine.options().generate_group : 1;
    run_batch(engine, o, group, traces, counters, [&](Workspace* const* ws, size_t i0, size_t n) {
        ChoiceSource choices[kMaxGenerateGroup];
        float* outs[kMaxGenerateGroup];
        ImageTrace* trs[kMaxGenerateGroup];
        for (size_t g = 0; g < n; ++g) {
            choices[g] = ChoiceSource(o.seed, o.first_index + i0 + g, I.k, I.latent_dim);
            outs[g] = out + (i0 + g) * I.image_size();
            trs[g] = traces ? &(*traces)[i0 + g] : nullptr;
        }
        Workspace::generate_group(ws, n, choices, outs, trs);
    });
}

void reconstruct_batch(const Engine& engine, const BatchOptions& o, const float* images,
                       float* out, std::vector<ImageTrace>* traces, Counters* counters) {
    const ModelInfo& I = engine.model().info();
    run_batch(engine, o, 1, traces, counters, [&](Workspace* const* ws, size_t i, size_t) {
        const ChoiceSource choices(o.seed, o.first_index + i, I.k, I.latent_dim);
        ws[0]->reconstruct(images + i * I.image_size(), choices, out + i * I.image_size(),
                           traces ? &(*traces)[i] : nullptr);
    });
}

}  // namespace fsvae
