// engine.hpp: running an FSVAE event by event.
//
// Generation, per time step t: the prior takes z_{t-1} (z_{-1} = 0), its last
// layer's spikes are sampled into z_t (one of k per latent), the decoder
// consumes z_t in the same step, and the readout accumulates the decayed sum
// of the last spiking layer's spikes; after T steps the last layer is applied
// to it once and the image is tanh of that (equal, by linearity, to
// tanh(sum_t decay^(T-1-t) m_t)). O(T) work.
//
// Reconstruction: the image's first-convolution current is computed once and
// fed at every step; the encoder's spikes reach before_latent_layer, whose
// output x_lat_t and z_{t-1} drive the posterior, sampled like the prior.
//
// The Engine is immutable and shared; a Workspace holds one image's state and
// belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../kernels/kernels.hpp"
#include "counters.hpp"
#include "lazy_layer.hpp"
#include "propagate.hpp"
#include "model.hpp"
#include "sampler.hpp"

namespace fsvae {

enum class Mode { Generate, Reconstruct };

struct EngineOptions {
    // The dense baseline: every layer input treated as active (its 0/1 value
    // multiplied in) through the same kernels. Same results up to float
    // rounding; for measuring what event-driven execution saves.
    bool dense = false;
    // Evaluate the sampled layer (the prior's or posterior's last) only for
    // the neurons the sampler reads (lazy_layer.hpp). Costs a transposed copy
    // of those layers' weights. Images that record a trace run every neuron.
    // Off by default: it performs a third of that layer's additions, but its
    // scattered reads made generation slower on the machines measured
    // (`fsvae bench` reports both).
    bool lazy_sampling = false;
    // Images a thread of generate_batch generates together, the prior in
    // lockstep (Workspace::generate_group), up to kMaxGenerateGroup; 1 runs
    // them one at a time. Off by default: on the machines measured every
    // weight fits the last-level cache, and groups of 8 ran as fast on one
    // thread and a few percent slower on two (`fsvae bench` reports both).
    size_t generate_group = 1;
};

// The largest EngineOptions::generate_group.
inline constexpr size_t kMaxGenerateGroup = 16;

class Engine {
public:
    // `kernels` null: the table select_kernels() picks (FSVAE_ISA or the best).
    explicit Engine(std::shared_ptr<const Model> model,
                    const kernels::KernelTable* kernels = nullptr, EngineOptions options = {});

    const EngineOptions& options() const { return options_; }

    const Model& model() const { return *model_; }
    const std::shared_ptr<const Model>& model_ptr() const { return model_; }
    const kernels::KernelTable& kernels() const { return *kernels_; }

    // The spiking layers a mode runs, in dataflow order (indices into model().layers()).
    std::vector<size_t> spiking_layers(Mode mode) const;
    // Every layer a mode runs, spiking ones and the readout layer, in dataflow order.
    std::vector<size_t> layers(Mode mode) const;

    // Dense multiply-accumulates of one time step of layer i (see counters.hpp).
    uint64_t dense_macs(size_t i) const { return dense_macs_[i]; }

    // The sampled layer's weights transposed (out x in); null without lazy sampling.
    const float* transposed(Mode mode) const {
        const auto& t = mode == Mode::Generate ? prior_t_ : posterior_t_;
        return t.empty() ? nullptr : t.data();
    }

private:
    std::shared_ptr<const Model> model_;
    const kernels::KernelTable* kernels_;
    EngineOptions options_;
    std::vector<uint64_t> dense_macs_;
    std::vector<float> prior_t_, posterior_t_;
};

// What one image did: spikes per model layer per step, and the latent train.
struct ImageTrace {
    std::vector<uint32_t> spikes;  // [layer * T + t], indexed like model().layers()
    std::vector<uint8_t> z;        // [t * C + c]
};

class Workspace {
public:
    explicit Workspace(const Engine& engine);

    // Generates one image into out (C x H x W, values in [-1, 1]).
    void generate(const ChoiceSource& choices, float* out, ImageTrace* trace = nullptr);

    // Reconstructs `image` (C x H x W in [-1, 1]) into out.
    void reconstruct(const float* image, const ChoiceSource& choices, float* out,
                     ImageTrace* trace = nullptr);

    // Step by step: begin(), then step() once per time step (false once all
    // T steps have run), read_image() at any point for the image so far
    // (tanh of the readout accumulated up to the last step run).
    // `image` is required for Mode::Reconstruct and ignored otherwise.
    // begin(), generate() and reconstruct() throw fsvae::Error, before
    // anything runs, for choices made for another k or latent count,
    // injected choices shorter than T steps, or image values outside [-1, 1].
    void begin(Mode mode, const ChoiceSource& choices, const float* image = nullptr);
    bool step();
    uint32_t steps_done() const { return t_; }
    void read_image(float* out) const;
    void read_trace(ImageTrace* trace) const;

    // Generates n images, one per workspace, with the prior run in lockstep:
    // at each step the sampled layer adds the weight rows of all n images one
    // column range at a time, so a range read from memory serves every image
    // while it is in cache; each image's decoder then runs its T steps. Every
    // image gets the same bits, trace and counters as generate() gives it.
    // Dense mode and lazy sampling run the images one by one. traces and its
    // entries may be null.
    static void generate_group(Workspace* const* ws, size_t n, const ChoiceSource* choices,
                               float* const* out, ImageTrace* const* traces);

    // Counters of everything run on this workspace since the last clear.
    const Counters& counters() const { return counters_; }
    void clear_counters() { counters_.clear(); }
    // Per-layer wall time in the counters (off by default).
    void set_timing(bool on) { timing_ = on; }

private:
    struct LayerState {
        std::vector<float> u;          // membranes (unused for the readout layer)
        std::vector<uint32_t> fired;   // indices that fired this step
        size_t n_fired = 0;
        bool touched = false;  // u changed since the last reset
    };

    void reset();
    void check_inputs(Mode mode, const ChoiceSource& choices, const float* image) const;
    // Sizes the scratch for the layers of `mode` (the first reconstruction
    // allocates the encoder's).
    void size_scratch(Mode mode);
    bool sized_for_reconstruct_ = false;
    // Runs LIF layer i on events, records its counters for step t.
    const LayerState& step_layer(size_t i, uint32_t t, const uint32_t* events, size_t n,
                                 float* readout_sum = nullptr);
    // Counters and trace of layer i's step t.
    void record_step(size_t i, uint32_t t, size_t n_events, size_t n_fired);
    // Layer i (linear) at step t for every workspace of a group, on each one's
    // spikes of layer `below` (generate_group).
    static void step_linear_group(Workspace* const* ws, size_t n, size_t i, size_t below,
                                  uint32_t t);
    void sample(size_t last_layer, uint32_t t);
    // Decoder and readout for step t, from the current z_t.
    void decode_step(uint32_t t);
    void prior_step(uint32_t t);
    // The sampled layer's step and the sampling, lazily (see lazy_layer.hpp).
    void sample_lazy(size_t layer, uint32_t t, const uint32_t* events, size_t n);
    void posterior_step(uint32_t t);
    void encode_input(const float* image);

    const Engine& engine_;
    const Model& model_;
    const kernels::KernelTable& K_;
    std::vector<LayerState> layers_;
    PairScratch scratch() {
        return {pair_dst_.data(), pair_src_.data(), pair_len_.data(),
                pair_scale_.data(), patch_.data(), chan_.data()};
    }
    std::vector<uint32_t> pair_dst_, pair_src_, pair_len_, chan_;
    std::vector<float> patch_;
    std::vector<float> dense_values_;  // dense mode: a layer's input as 0/1 values
    float* dense() { return engine_.options().dense ? dense_values_.data() : nullptr; }
    std::vector<float> pair_scale_;
    std::vector<uint8_t> mask_;       // C*k spike mask of the sampled layer
    std::vector<uint32_t> r_;         // this step's choices
    std::vector<uint32_t> z_, z_prev_;  // latent events (indices c), this and last step
    std::vector<uint32_t> post_in_;   // posterior input events [x_lat ; z_{t-1}]
    // Readout: decayed sum of the last spiking layer's spikes
    // (kept by its lif_step) and of the bias weight (propagate.hpp); acc_ the
    // readout (H x W x C), formed after the last step or when read before.
    std::vector<float> spike_sum_;
    float spike_sum_weight_ = 0.0f;
    mutable std::vector<float> acc_, readout_scratch_;
    mutable bool acc_valid_ = false;
    std::vector<float> input_current_;  // first encoder layer's current, per image
    std::vector<float> image_hwc_;
    std::vector<uint32_t> spikes_;    // [layer * T + t]
    std::vector<uint8_t> z_train_;    // [t * C + c]
    Counters counters_;
    bool timing_ = false;
    Mode mode_ = Mode::Generate;
    LazyLayer lazy_;
    std::vector<uint32_t> lazy_spikes_;  // per step, found by one lazy step
    bool lazy_on_ = false;       // this image samples lazily
    bool force_eager_ = false;   // set while an image records a trace
    ChoiceSource choices_;
    uint32_t t_ = 0;
};

struct BatchOptions {
    uint64_t seed = 0;
    uint64_t first_index = 0;  // image i of the batch has index first_index + i
    size_t count = 1;
    int threads = 0;  // 0: all cores
    // Called from worker threads as images complete (thread-safe counter given).
    std::function<void(size_t done)> progress;
    bool timing = false;  // per-layer wall time in the counters
};

// Generates options.count images into out (count x C x H x W). Image i depends
// only on (seed, first_index + i): results are identical for any thread count
// and batch size. traces, if given, receives one trace per image; counters,
// if given, the sum of every image's counters (timed if options.timing).
void generate_batch(const Engine& engine, const BatchOptions& options, float* out,
                    std::vector<ImageTrace>* traces = nullptr, Counters* counters = nullptr);

// Reconstructs options.count images from images (count x C x H x W).
void reconstruct_batch(const Engine& engine, const BatchOptions& options, const float* images,
                       float* out, std::vector<ImageTrace>* traces = nullptr,
                       Counters* counters = nullptr);

}  // namespace fsvae
