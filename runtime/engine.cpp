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
#include <cstdio>
#include <cstring>
#include <string>

#include "../kernels/tanh.hpp"
#include "error.hpp"
#include "operations.hpp"
#include "propagate.hpp"

namespace fsvae {

namespace {

// Builds a mode's program; `slot` hands out slot numbers (shared by both
// modes, so one workspace holds both programs' slots).
class ProgramBuilder {
public:
    ProgramBuilder(Program& p, std::vector<SlotSpec>& slots, Mode mode, const Model& m)
        : p_(p), slots_(slots), mode_(mode), m_(m) {}

    size_t new_slot() {
        slots_.push_back(SlotSpec{0, false, mode_});
        return slots_.size() - 1;
    }
    // Appends op; its slot gets the op's spike capacity.
    size_t add(std::unique_ptr<Operation> op) {
        if (op->output() != Operation::kNoSlot) slots_[op->output()].capacity = op->max_spikes(m_);
        p_.ops.push_back(std::move(op));
        return p_.ops.back()->output();
    }
    // Operations added since the last stage form a stage.
    void stage(bool stepped) {
        const size_t first = p_.stages.empty() ? 0 : p_.stages.back().last;
        p_.stages.push_back({first, p_.ops.size(), stepped});
    }
    // A slot whose lists are read a step late, by another stage, or inside
    // a stage that runs operation by operation keeps all T lists.
    void finish() {
        // Step by step, the operations before a non-causal one run all T first.
        for (size_t i = 0; i < p_.ops.size(); ++i)
            if (p_.ops[i]->needs_all_steps()) p_.whole_prefix = i;
        std::vector<size_t> stage_of_slot(slots_.size(), SIZE_MAX);
        for (size_t si = 0; si < p_.stages.size(); ++si)
            for (size_t i = p_.stages[si].first; i < p_.stages[si].last; ++i)
                if (p_.ops[i]->output() != Operation::kNoSlot) stage_of_slot[p_.ops[i]->output()] = si;
        for (size_t si = 0; si < p_.stages.size(); ++si)
            for (size_t i = p_.stages[si].first; i < p_.stages[si].last; ++i)
                for (const SlotInput& in : p_.ops[i]->inputs())
                    if (p_.ops[i]->reads_lists() &&
                        (in.lag > 0 || stage_of_slot[in.slot] != si || !p_.stages[si].stepped))
                        slots_[in.slot].per_step = true;
    }

private:
    Program& p_;
    std::vector<SlotSpec>& slots_;
    Mode mode_;
    const Model& m_;
};

// The decoder and the readout (of the model's kind), on z_t: feed-forward, one stage.
void add_decoder(ProgramBuilder& b, const Model& m, size_t z) {
    const Topology& T = m.topology();
    const bool taid = m.info().readout == ReadoutKind::Taid;
    size_t in = b.add(std::make_unique<LifLayerOp>(T.decoder_input, SlotInput{z, 0}, b.new_slot()));
    for (size_t d : T.decoder) in = b.add(std::make_unique<LifLayerOp>(d, SlotInput{in, 0}, b.new_slot()));
    // The membrane readout's sum is kept by the layer below as it fires.
    in = b.add(std::make_unique<LifLayerOp>(T.final0, SlotInput{in, 0}, b.new_slot(), !taid));
    if (taid)
        b.add(std::make_unique<TaidReadoutOp>(m, T.final1, T.readout_gate, SlotInput{in, 0}));
    else
        b.add(std::make_unique<ReadoutOp>(T.final1, SlotInput{in, 0}));
    b.stage(false);
}

}  // namespace

Engine::Engine(std::shared_ptr<const Model> model, const kernels::KernelTable* k,
               EngineOptions options)
    : model_(std::move(model)), kernels_(k ? k : &kernels::select_kernels()), options_(options) {
    for (const Layer& L : model_->layers()) dense_macs_.push_back(dense_macs_per_step(L.spec));
    const Topology& T = model_->topology();
    const bool esvae = model_->info().sampler == SamplerKind::EsvaeRate;
    {
        ProgramBuilder b(programs_[0], slots_, Mode::Generate, *model_);
        const size_t z = b.new_slot();
        if (esvae) {
            // No feedback: z_t depends only on the image's draws.
            b.add(std::make_unique<EsvaeRateSamplerOp>(T.sample_layer, z));
            b.stage(false);
        } else {
            // The prior feeds itself through z_{t-1}: it and the sampler step together.
            size_t in = b.add(std::make_unique<LifLayerOp>(T.prior[0], SlotInput{z, 1}, b.new_slot()));
            for (size_t i = 1; i < 3; ++i)
                in = b.add(std::make_unique<LifLayerOp>(T.prior[i], SlotInput{in, 0}, b.new_slot()));
            b.add(std::make_unique<SamplerOp>(SlotInput{in, 0}, z));
            b.stage(true);
        }
        add_decoder(b, *model_, z);
        b.finish();
    }
    {
        // The encoder needs only the image; the posterior feeds itself
        // through z_{t-1}. ESVAE's sampler needs the encoder's T steps.
        ProgramBuilder b(programs_[1], slots_, Mode::Reconstruct, *model_);
        size_t in = b.add(std::make_unique<InputCurrentLifOp>(T.encoder[0], b.new_slot()));
        for (size_t e = 1; e < T.encoder.size(); ++e)
            in = b.add(std::make_unique<LifLayerOp>(T.encoder[e], SlotInput{in, 0}, b.new_slot()));
        const size_t x_lat = b.add(std::make_unique<LifLayerOp>(T.before_latent, SlotInput{in, 0}, b.new_slot()));
        b.stage(false);
        const size_t z = b.new_slot();
        if (esvae) {
            b.add(std::make_unique<EsvaeRateSamplerOp>(SlotInput{x_lat, 0}, z));
            b.stage(false);
        } else {
            in = b.add(std::make_unique<ConcatOp>(SlotInput{x_lat, 0}, SlotInput{z, 1},
                                                  model_->layer(T.before_latent).spec.out.size(), b.new_slot()));
            for (size_t i = 0; i < 3; ++i)
                in = b.add(std::make_unique<LifLayerOp>(T.posterior[i], SlotInput{in, 0}, b.new_slot()));
            b.add(std::make_unique<SamplerOp>(SlotInput{in, 0}, z));
            b.stage(true);
        }
        add_decoder(b, *model_, z);
        b.finish();
    }
    {
        // Given latents, for any sampler kind: the decoder alone.
        ProgramBuilder b(programs_[2], slots_, Mode::Generate, *model_);
        const size_t z = b.add(std::make_unique<GivenLatentOp>(b.new_slot()));
        b.stage(false);
        add_decoder(b, *model_, z);
        b.finish();
    }
}

std::vector<size_t> Engine::layers(Mode mode) const {
    std::vector<size_t> v;
    for (const auto& op : program(mode).ops)
        if (op->layer() != Operation::kNoLayer) v.push_back(op->layer());
    return v;
}

std::vector<size_t> Engine::spiking_layers(Mode mode) const {
    std::vector<size_t> v;
    for (size_t i : layers(mode))
        if (model_->layer(i).spec.spiking) v.push_back(i);
    return v;
}

namespace {
using Clock = std::chrono::steady_clock;
}

Workspace::Workspace(const Engine& engine)
    : engine_(engine),
      s_(engine.model(), engine.kernels(), engine.options().dense, engine.dense_macs()) {
    s_.slots.resize(engine.slots().size());
    size_for(Mode::Generate);
}

void Workspace::size_for(Mode mode) {
    const Model& model = engine_.model();
    const uint32_t T = model.info().time_steps;
    for (size_t i = 0; i < s_.slots.size(); ++i) {
        const SlotSpec& spec = engine_.slots()[i];
        if (spec.mode != mode) continue;
        SpikeSlot& slot = s_.slots[i];
        slot.capacity = spec.capacity;
        slot.per_step = spec.per_step;
        slot.idx.assign(spec.capacity * (spec.per_step ? T : 1), 0);
        slot.count.assign(T, 0);
    }
    // Scratch for the layers a mode runs: the encoder's strided convolutions
    // need far more spans than generation, so a workspace that only
    // generates does not hold them.
    size_t pairs = 0, chans = 0, inputs = 0;
    const bool dense = engine_.options().dense;
    for (size_t i : engine_.layers(mode)) {
        const LayerSpec& s = model.layer(i).spec;
        // The first encoder layer always takes real values (propagate_values).
        const bool values = dense || (mode == Mode::Reconstruct && i == model.topology().encoder[0]);
        pairs = std::max(pairs, max_pairs(s, values));
        chans = std::max(chans, size_t(s.in.c));
        inputs = std::max(inputs, s.in.size());
    }
    auto grow = [](auto& v, size_t n) {
        if (v.size() < n) v.resize(n);
    };
    if (dense) grow(s_.dense_values, inputs);
    for (ImageState::Scratch& lane : s_.lanes) {
        grow(lane.chan, chans);
        grow(lane.pair_dst, pairs);
        grow(lane.pair_src, pairs);
        grow(lane.pair_len, pairs);
        grow(lane.pair_scale, pairs);
    }
    if (mode == Mode::Reconstruct) {
        const ModelInfo& I = model.info();
        s_.image_hwc.resize(I.image_size());
        s_.input_current.resize(model.layer(model.topology().encoder[0]).spec.out.size());
    }
    sized_[mode == Mode::Generate ? 0 : 1] = true;
}

void Workspace::check_inputs(Mode mode, const ChoiceSource& choices, const float* image) const {
    // What the step loop takes from the caller, checked before it starts: the
    // sampler indexes the sampled layer with c * k + r (r < the source's k),
    // fills latent_dim choices a step, and reads T steps of injected ones;
    // the overflow bound (model.cpp) holds for image values in [-1, 1].
    const ModelInfo& I = engine_.model().info();
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
    begin_program(engine_.program(mode), mode, choices, image);
}

void Workspace::begin_program(const Program& p, Mode mode, const ChoiceSource& choices,
                              const float* image) {
    check_inputs(mode, choices, image);
    if (!sized_[mode == Mode::Generate ? 0 : 1]) size_for(mode);
    mode_ = mode;
    program_ = &p;
    s_.choices = choices;
    for (const auto& op : p.ops) {
        const Clock::time_point t0 = timing_ ? Clock::now() : Clock::time_point{};
        op->begin(s_, image);
        if (timing_ && op->layer() != Operation::kNoLayer)
            s_.counters.layers[op->layer()].seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    }
    std::fill(s_.spikes.begin(), s_.spikes.end(), 0u);
    t_ = 0;
    ++s_.counters.images;
}

void Workspace::set_neuron_counts(bool on) { s_.counters.keep_neuron_spikes(engine_.model(), on); }

void Workspace::set_threads(size_t n) {
    threads_ = std::max<size_t>(1, n);
    arena_.reset();
    if (threads_ > 1) arena_ = std::make_unique<tbb::task_arena>(int(threads_));
    if (s_.lanes.size() < threads_) {
        s_.lanes.resize(threads_);
        for (size_t m = 0; m < 2; ++m)
            if (sized_[m]) size_for(m == 0 ? Mode::Generate : Mode::Reconstruct);
    }
    s_.part_spikes.assign(s_.lanes.size() * engine_.model().info().time_steps, 0);
}

void Workspace::run(const Operation& op, uint32_t t0, uint32_t t1, size_t parts) {
    const Clock::time_point c0 = timing_ ? Clock::now() : Clock::time_point{};
    if (parts > 1)
        op.run(s_, t0, t1, parts);
    else
        for (uint32_t t = t0; t < t1; ++t) op.step(s_, t);
    if (timing_ && op.layer() != Operation::kNoLayer)
        s_.counters.layers[op.layer()].seconds += std::chrono::duration<double>(Clock::now() - c0).count();
}

bool Workspace::step() {
    const uint32_t T = engine_.model().info().time_steps;
    if (t_ >= T) return false;
    const Program& p = *program_;
    if (t_ == 0)
        for (size_t i = 0; i < p.whole_prefix; ++i) run(*p.ops[i], 0, T);
    for (size_t i = p.whole_prefix; i < p.ops.size(); ++i) run(*p.ops[i], t_, t_ + 1);
    ++t_;
    return true;
}

void Workspace::run_all() {
    const uint32_t T = engine_.model().info().time_steps;
    const Program& p = *program_;
    auto stages = [&] {
        for (const Program::Stage& st : p.stages) {
            if (st.stepped) {
                for (uint32_t t = 0; t < T; ++t)
                    for (size_t i = st.first; i < st.last; ++i) run(*p.ops[i], t, t + 1, threads_);
            } else {
                for (size_t i = st.first; i < st.last; ++i) run(*p.ops[i], 0, T, threads_);
            }
        }
    };
    if (arena_)
        arena_->execute(stages);
    else
        stages();
    t_ = T;
}

void Workspace::read_image(float* out) {
    const Model& model = engine_.model();
    const ModelInfo& I = model.info();
    if (!s_.acc_valid && I.readout == ReadoutKind::Taid)  // before the last step, not counted
        static_cast<const TaidReadoutOp&>(*engine_.program(mode_).ops.back()).image(s_, t_);
    else if (!s_.acc_valid)  // before the last step: the readout so far, not counted
        readout_image(model.layer(model.topology().final1), s_.K, s_.spike_sum.data(),
                      s_.spike_sum_weight, s_.acc.data(), s_.readout_scratch.data());
    const size_t HW = size_t(I.image_height) * I.image_width, C = I.image_channels;
    for (size_t p = 0; p < HW; ++p)
        for (size_t c = 0; c < C; ++c) out[c * HW + p] = kernels::portable_tanh(s_.acc[p * C + c]);
}

void Workspace::read_trace(ImageTrace* trace) const {
    trace->spikes = s_.spikes;
    trace->z = s_.z_train;
}

void Workspace::generate(const ChoiceSource& choices, float* out, ImageTrace* trace) {
    begin(Mode::Generate, choices);
    run_all();
    read_image(out);
    if (trace) read_trace(trace);
}

void Workspace::decode(const uint8_t* z, float* out, ImageTrace* trace) {
    const ModelInfo& I = engine_.model().info();
    s_.given_z = z;
    struct Reset {
        ImageState& s;
        ~Reset() { s.given_z = nullptr; }
    } reset{s_};
    begin_program(engine_.decode_program(), Mode::Generate, ChoiceSource(0, 0, I.k, I.latent_dim),
                  nullptr);
    run_all();
    read_image(out);
    if (trace) read_trace(trace);
}

void Workspace::reconstruct(const float* image, const ChoiceSource& choices, float* out,
                            ImageTrace* trace) {
    begin(Mode::Reconstruct, choices, image);
    run_all();
    read_image(out);
    if (trace) read_trace(trace);
}

namespace {

// Each image's spikes and synaptic operations per layer, taken as the
// difference of its workspace's counters across the image; every image
// writes its own row, so threads do not share one.
class ImageFigures {
public:
    ImageFigures(const Engine& engine, size_t images)
        : layers_(engine.model().layers().size()) {
        spikes_.assign(images * layers_, 0);
        ops_.assign(images * layers_, 0);
    }
    explicit operator bool() const { return !ops_.empty(); }

    void before(const Workspace& ws, std::vector<uint64_t>& mark) const {
        mark.resize(2 * layers_);
        const Counters& c = ws.counters();
        for (size_t l = 0; l < layers_; ++l) {
            mark[2 * l] = c.layers[l].spikes;
            mark[2 * l + 1] = c.layers[l].synaptic_ops;
        }
    }
    void after(const Workspace& ws, const std::vector<uint64_t>& mark, size_t image) {
        const Counters& c = ws.counters();
        for (size_t l = 0; l < layers_; ++l) {
            spikes_[image * layers_ + l] = uint32_t(c.layers[l].spikes - mark[2 * l]);
            ops_[image * layers_ + l] = c.layers[l].synaptic_ops - mark[2 * l + 1];
        }
    }
    void hand_to(Counters& c) {
        c.image_spikes = std::move(spikes_);
        c.image_ops = std::move(ops_);
    }

private:
    size_t layers_;
    std::vector<uint32_t> spikes_;
    std::vector<uint64_t> ops_;
};

// Runs a batch on `threads` workers, handing `per_image(ws, i)` each image
// with a workspace kept per thread.
template <class PerImage>
void run_batch(const Engine& engine, const BatchOptions& o, std::vector<ImageTrace>* traces,
               Counters* counters, PerImage&& per_image) {
    if (traces) traces->assign(o.count, ImageTrace{});
    ImageFigures figures(engine, counters && o.image_figures ? o.count : 0);
    const int threads = o.threads > 0 ? o.threads : tbb::this_task_arena::max_concurrency();
    if (o.count < size_t(threads)) {
        // Fewer images than threads: one image at a time, its layers split
        // across the threads.
        Workspace ws(engine);
        ws.set_timing(o.timing);
        ws.set_neuron_counts(o.neuron_counts);
        ws.set_threads(size_t(threads));
        std::vector<uint64_t> before;
        for (size_t i = 0; i < o.count; ++i) {
            if (figures) figures.before(ws, before);
            per_image(ws, i);
            if (figures) figures.after(ws, before, i);
            if (o.progress) o.progress(i + 1);
        }
        if (counters) {
            *counters = ws.counters();
            figures.hand_to(*counters);
        }
        return;
    }
    tbb::task_arena arena(threads);
    struct Pool {
        std::unique_ptr<Workspace> ws;
        std::vector<uint64_t> before;  // ImageFigures
    };
    tbb::enumerable_thread_specific<Pool> pools;
    std::atomic<size_t> done{0};
    arena.execute([&] {
        tbb::parallel_for(tbb::blocked_range<size_t>(0, o.count), [&](const tbb::blocked_range<size_t>& range) {
            Pool& pool = pools.local();
            if (!pool.ws) {
                pool.ws = std::make_unique<Workspace>(engine);
                pool.ws->set_timing(o.timing);
                pool.ws->set_neuron_counts(o.neuron_counts);
            }
            for (size_t i = range.begin(); i < range.end(); ++i) {
                if (figures) figures.before(*pool.ws, pool.before);
                per_image(*pool.ws, i);
                if (figures) figures.after(*pool.ws, pool.before, i);
                const size_t d = ++done;
                if (o.progress) o.progress(d);
            }
        });
    });
    // Counts are summed per thread, then merged: memory does not grow with
    // the batch, except for the per-image figures asked for.
    if (counters) {
        counters->resize(engine.model(), o.neuron_counts);
        for (const Pool& pool : pools)
            if (pool.ws) counters->merge(pool.ws->counters());
        figures.hand_to(*counters);
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

void decode_batch(const Engine& engine, const BatchOptions& o, const uint8_t* z, float* out,
                  std::vector<ImageTrace>* traces, Counters* counters) {
    const ModelInfo& I = engine.model().info();
    const size_t zn = size_t(I.time_steps) * I.latent_dim;
    run_batch(engine, o, traces, counters, [&](Workspace& ws, size_t i) {
        ws.decode(z + i * zn, out + i * I.image_size(), traces ? &(*traces)[i] : nullptr);
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
