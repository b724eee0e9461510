// lazy_layer.hpp: the sampled layer (the prior's or the posterior's last)
// evaluated only where it is read. The sampler reads one of the k outputs per
// latent per step, so of the C*k neurons only C matter at each step; a
// neuron's membrane is brought up to date when it is chosen, from the input
// events of every step since it was last evaluated (kept here). The LIF
// arithmetic is the eager layer's: u = tau*u + b + inputs, fire above Vth,
// hard reset; only the summation order of the inputs differs (gather_sum).
#pragma once

#include <cstdint>
#include <vector>

#include "../kernels/kernels.hpp"
#include "model.hpp"

namespace fsvae {

class LazyLayer {
public:
    // Sizes the state for a layer with `outputs` neurons, `inputs` inputs and T steps.
    void resize(size_t outputs, size_t inputs, uint32_t time_steps);
    // Starts an image on layer L, whose weights transposed (out x in) are `wt`.
    void begin(const Layer& L, const float* wt);
    // The layer's input events of step t (t = 0, 1, ... in order).
    void record(uint32_t t, const uint32_t* events, size_t n);
    // Whether neuron j fires at step t (t: the last step recorded). Adds the
    // operations performed to *ops and each spike found to spikes_per_step[s].
    bool fires(uint32_t j, uint32_t t, const kernels::KernelTable& K, float tau, float vth,
               uint64_t* ops, uint32_t* spikes_per_step);

private:
    const float* wt_ = nullptr;
    const float* bias_ = nullptr;
    size_t inputs_ = 0;
    std::vector<float> u_;          // membrane after step last_[j]
    std::vector<int32_t> last_;     // last step evaluated, -1 for none
    std::vector<uint32_t> events_;  // every recorded step's events, concatenated
    std::vector<uint32_t> offset_;  // step s's events: events_[offset_[s] .. offset_[s+1])
};

// W (in x out, event-major) transposed to out x in.
std::vector<float> transpose_weights(const Layer& L);

}  // namespace fsvae
