// engine.hpp: running an FSVAE event by event, as a list of operations
// (operation.hpp) per mode.
//
// Generation: the prior takes z_{t-1} (z_{-1} = 0), its last layer's spikes
// are sampled into z_t (one of k per latent), the decoder consumes z_t, and
// the readout keeps the decayed sum of the last spiking layer's spikes; after
// T steps the image layer is applied to it once and the image is tanh of that
// (equal, by linearity, to tanh(sum_t decay^(T-1-t) m_t)). O(T) work.
//
// Reconstruction: the image's first-convolution current is computed once and
// fed at every step; the encoder's spikes reach before_latent_layer, whose
// output x_lat_t and z_{t-1} drive the posterior, sampled like the prior.
//
// Only the prior and the posterior feed back through time (through z), so a
// whole image runs in stages: the operations of a stage with feedback step
// together, t by t; every other stage runs one operation at a time over all
// T steps (layer by layer), which keeps each layer's weights and membranes
// in cache for its T steps. Each neuron does the same operations in the same
// order either way; the step-by-step API runs every operation at t, then t + 1.
//
// The Engine is immutable and shared; a Workspace holds one image's state and
// belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <tbb/task_arena.h>

#include "../kernels/kernels.hpp"
#include "counters.hpp"
#include "image_state.hpp"
#include "model.hpp"
#include "operation.hpp"
#include "sampler.hpp"

namespace fsvae {

enum class Mode { Generate, Reconstruct };

struct EngineOptions {
    // The dense baseline: every layer input treated as active (its 0/1 value
    // multiplied in) through the same kernels. Same results up to float
    // rounding; for measuring what event-driven execution saves.
    bool dense = false;
};

// A mode's operations in dataflow order, in stages of consecutive
// operations [first, last): `stepped` stages run their operations together
// at each step (they feed back through time), the others one operation at a
// time over all T steps.
struct Program {
    struct Stage {
        size_t first, last;
        bool stepped;
    };
    std::vector<std::unique_ptr<Operation>> ops;
    std::vector<Stage> stages;
    // Run step by step, operations [0, whole_prefix) run all T steps at the
    // first step: those before one that is not causal (needs_all_steps).
    size_t whole_prefix = 0;
};

// What a workspace allocates for a spike slot (image_state.hpp).
struct SlotSpec {
    size_t capacity = 0;
    bool per_step = false;
    Mode mode = Mode::Generate;
};

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

    // Dense multiply-accumulates of one time step of each layer (see counters.hpp).
    uint64_t dense_macs(size_t i) const { return dense_macs_[i]; }
    const std::vector<uint64_t>& dense_macs() const { return dense_macs_; }

    const Program& program(Mode mode) const { return programs_[mode == Mode::Generate ? 0 : 1]; }
    // Generation's decoder on given latent trains (Workspace::decode): the
    // latents, then the decoder and readout; no prior or sampler.
    const Program& decode_program() const { return programs_[2]; }
    const std::vector<SlotSpec>& slots() const { return slots_; }

private:
    std::shared_ptr<const Model> model_;
    const kernels::KernelTable* kernels_;
    EngineOptions options_;
    std::vector<uint64_t> dense_macs_;
    Program programs_[3];
    std::vector<SlotSpec> slots_;
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

    // Decodes a given latent train z (T x latent_dim of 0/1, [t * C + c])
    // into out: generation's decoder and readout on z_t taken from z, for
    // every sampler kind (Engine::decode_program; no prior or sampler runs).
    void decode(const uint8_t* z, float* out, ImageTrace* trace = nullptr);

    // Reconstructs `image` (C x H x W in [-1, 1]) into out.
    void reconstruct(const float* image, const ChoiceSource& choices, float* out,
                     ImageTrace* trace = nullptr);

    // Step by step: begin(), then step() once per time step (false once all
    // T steps have run), read_image() at any point for the image so far
    // (tanh of the readout accumulated up to the last step run; before the
    // last step this applies the image layer to the sum so far).
    // `image` is required for Mode::Reconstruct and ignored otherwise.
    // begin(), generate() and reconstruct() throw fsvae::Error, before
    // anything runs, for choices made for another k or latent count,
    // injected choices shorter than T steps, or image values outside [-1, 1].
    void begin(Mode mode, const ChoiceSource& choices, const float* image = nullptr);
    bool step();
    uint32_t steps_done() const { return t_; }
    void read_image(float* out);
    void read_trace(ImageTrace* trace) const;
    // The latent train so far, [t * C + c] (steps not run yet are 0).
    const std::vector<uint8_t>& z_train() const { return s_.z_train; }

    // Counters of everything run on this workspace since the last clear.
    const Counters& counters() const { return s_.counters; }
    void clear_counters() { s_.counters.clear(); }
    // Per-layer wall time in the counters (off by default).
    void set_timing(bool on) { timing_ = on; }
    // Each neuron's spikes in the counters (LayerCounters::neuron_spikes;
    // off by default: an add per spike). Turning it on keeps the counts so
    // far, off empties them.
    void set_neuron_counts(bool on);
    // Threads that generate() and reconstruct() split one image's layers
    // across (1, the default: the calling thread alone). The same bytes for
    // any count. Step-by-step runs use the calling thread.
    void set_threads(size_t n);

private:
    // The caller's choices and image, checked before anything runs.
    void check_inputs(Mode mode, const ChoiceSource& choices, const float* image) const;
    // begin() for a program (`mode` sizes and checks as for it).
    void begin_program(const Program& p, Mode mode, const ChoiceSource& choices, const float* image);
    // Sizes the slots and scratch of `mode` (the first reconstruction
    // allocates the encoder's).
    void size_for(Mode mode);
    // Runs steps [t0, t1) of one operation, timed into its layer's counters,
    // in up to `parts` parallel parts.
    void run(const Operation& op, uint32_t t0, uint32_t t1, size_t parts = 1);
    // All T steps of the program begun, stage by stage.
    void run_all();

    const Engine& engine_;
    ImageState s_;
    bool sized_[2] = {false, false};
    bool timing_ = false;
    size_t threads_ = 1;
    std::unique_ptr<tbb::task_arena> arena_;  // with threads_ > 1
    Mode mode_ = Mode::Generate;
    const Program* program_ = nullptr;  // begun
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
    // Each neuron's spikes in the counters (LayerCounters::neuron_spikes,
    // empty without): one add per spike.
    bool neuron_counts = false;
    // Each image's spikes and synaptic operations per layer in the counters
    // (Counters::image_spikes, image_ops): a few numbers per image.
    bool image_figures = false;
};

// Generates options.count images into out (count x C x H x W). Image i depends
// only on (seed, first_index + i): results are identical for any thread count
// and batch size. traces, if given, receives one trace per image; counters,
// if given, the sum of every image's counters (timed if options.timing).
void generate_batch(const Engine& engine, const BatchOptions& options, float* out,
                    std::vector<ImageTrace>* traces = nullptr, Counters* counters = nullptr);

// Decodes options.count latent trains z (count x T x latent_dim) into out;
// options.seed and first_index are not used.
void decode_batch(const Engine& engine, const BatchOptions& options, const uint8_t* z, float* out,
                  std::vector<ImageTrace>* traces = nullptr, Counters* counters = nullptr);

// Reconstructs options.count images from images (count x C x H x W).
void reconstruct_batch(const Engine& engine, const BatchOptions& options, const float* images,
                       float* out, std::vector<ImageTrace>* traces = nullptr,
                       Counters* counters = nullptr);

}  // namespace fsvae
