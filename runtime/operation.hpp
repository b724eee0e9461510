// operation.hpp: the steps a model runs, as a list of operations. The Engine
// builds one list per mode (generation, reconstruction); a Workspace runs it.
// Each operation reads the spike slots of the operations before it, writes
// its own, and keeps the state and counters of one model layer. Adding a
// layer or sampler kind means adding one operation.
//
// An operation's step t depends only on its inputs at step t (or t - 1,
// through a lagged input) and on its own state, so a list may run step by
// step (every operation at t, then t + 1) or, where nothing feeds back
// through time, operation by operation over all T steps: each neuron does
// the same operations in the same order either way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "image_state.hpp"

namespace fsvae {

// An input: the spikes an operation put into `slot`, at the same step
// (lag 0) or the step before (lag 1; empty at step 0).
struct SlotInput {
    size_t slot = 0;
    uint32_t lag = 0;

    const uint32_t* list(const ImageState& s, uint32_t t) const {
        return t < lag ? nullptr : s.slots[slot].list(t - lag);
    }
    size_t n(const ImageState& s, uint32_t t) const { return t < lag ? 0 : s.slots[slot].n(t - lag); }
};

class Operation {
public:
    static constexpr size_t kNoLayer = std::numeric_limits<size_t>::max();
    static constexpr size_t kNoSlot = std::numeric_limits<size_t>::max();

    Operation(size_t layer, size_t output, std::vector<SlotInput> inputs)
        : layer_(layer), output_(output), inputs_(std::move(inputs)) {}
    virtual ~Operation() = default;

    // Clears this operation's state for a new image (`image`: the input
    // being reconstructed, C x H x W, or null).
    virtual void begin(ImageState& s, const float* image) const = 0;
    // Runs time step t.
    virtual void step(ImageState& s, uint32_t t) const = 0;
    // Runs steps [t0, t1), the work split into up to `parts` parts that run
    // in parallel (in the calling thread's task arena, one scratch lane
    // each), with the same results as stepping. Kinds that do not split step.
    virtual void run(ImageState& s, uint32_t t0, uint32_t t1, size_t parts) const {
        (void)parts;
        for (uint32_t t = t0; t < t1; ++t) step(s, t);
    }

    // The model layer whose counters and time this operation keeps (kNoLayer: none).
    size_t layer() const { return layer_; }
    // The slot it writes (kNoSlot: none), and the slots it reads.
    size_t output() const { return output_; }
    const std::vector<SlotInput>& inputs() const { return inputs_; }
    // Most spikes it emits per step (the size of its slot's lists).
    virtual size_t max_spikes(const Model& m) const = 0;
    // Whether it reads its inputs' index lists (not only their counts).
    virtual bool reads_lists() const { return true; }
    // Whether its first step reads all T steps of its inputs (it is not
    // causal): the operations before it then run over all T first, also
    // when the program is run step by step.
    virtual bool needs_all_steps() const { return false; }

protected:
    const SlotInput& input(size_t i = 0) const { return inputs_[i]; }

private:
    size_t layer_, output_;
    std::vector<SlotInput> inputs_;
};

}  // namespace fsvae
