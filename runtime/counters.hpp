// counters.hpp: what the runtime did, per layer and per time step: spikes
// emitted, events received, synaptic operations performed, and the dense
// multiply-accumulates the same layer would have needed; per neuron, the
// spikes it emitted; per latent, the ones of z and the sampler's choices.
// Integer counters are always kept (a few adds per layer per step); each
// neuron's spikes only when asked for, since they cost an add per spike
// (6-8% of a generated image's time on the bundled model), and per-layer
// wall time only when asked for, since it reads the clock twice per layer
// per step.
#pragma once

#include <cstdint>
#include <vector>

#include "architecture.hpp"

namespace fsvae {
class Model;
}

namespace fsvae {

struct LayerCounters {
    uint64_t spikes = 0;        // output spikes (0 for the non-spiking readout layer)
    uint64_t events = 0;        // input events received (input pixels, for a real-valued input)
    uint64_t synaptic_ops = 0;  // float additions into membranes: rows added x row length
    uint64_t dense_macs = 0;    // multiply-accumulates of a dense execution of the same steps
    uint64_t steps = 0;         // layer-steps executed (images x T)
    double seconds = 0;         // wall time in the layer (only with timing on)
    std::vector<uint64_t> spikes_per_step;  // [t], summed over images
    // Spikes of each output neuron (channel-last: (y * W + x) * C + c), over
    // all images and steps; empty for the non-spiking readout layer. 32 bits
    // halve what the increments touch (one per spike); a count wraps after
    // 2^32 / T images (268 M at T = 16) of one neuron firing at every step,
    // past what one `fsvae profile` runs (2^24 images). Empty unless asked
    // for (Workspace::set_neuron_counts, BatchOptions::neuron_counts).
    std::vector<uint32_t> neuron_spikes;
};

struct Counters {
    uint64_t images = 0;
    uint64_t latent_spikes = 0;  // ones in the sampled z, over all images and steps
    std::vector<LayerCounters> layers;  // indexed like Model::layers()
    std::vector<uint64_t> latent_ones;  // [c]: ones of z_c over all images and steps
    std::vector<uint64_t> choices;      // [r]: how often the sampler took output r of a latent's k

    // Per image of a batch, when asked for (BatchOptions::image_figures):
    // each layer's spikes and synaptic operations, [image * layers + layer].
    // A few numbers per image, for the spread over images; everything else
    // is summed.
    std::vector<uint32_t> image_spikes;
    std::vector<uint64_t> image_ops;

    // Shapes every counter for `model`, all zero; the per-neuron spikes
    // only with neuron_spikes (otherwise empty).
    void resize(const Model& model, bool neuron_spikes = true);
    // Sizes the per-neuron spikes for `model` (on; counts already there are
    // kept) or empties them (off).
    void keep_neuron_spikes(const Model& model, bool on);
    // Layers and steps only; merge() sizes the per-neuron and latent counts.
    void resize(size_t n_layers, uint32_t time_steps);
    void clear();
    // Adds other's counts; other's per-image figures are appended.
    void merge(const Counters& other);
};

// Multiply-accumulates of one dense time step of a layer: in x out for a
// linear layer; for a convolution, every (input pixel, tap) pair that lands
// inside the output, times cin x cout. (A transposed convolution's count is
// not multiplied by stride^2.)
uint64_t dense_macs_per_step(const LayerSpec& s);

}  // namespace fsvae
