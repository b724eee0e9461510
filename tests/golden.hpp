// golden.hpp: reading the golden vectors recorded by the project's PyTorch
// reference (tools/reference/make_golden.py) and comparing a runtime trace
// against them.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "../runtime/engine.hpp"

namespace fsvae::test {

struct GoldenImage {
    uint64_t seed = 0;
    uint64_t index = 0;              // image index of the runtime's draw (choice_source "runtime")
    std::vector<float> input;        // reconstruction only
    std::vector<uint16_t> choices;   // T x C
    std::vector<uint8_t> z;          // T x C
    std::vector<std::vector<uint32_t>> spikes, near;  // [layer][t], layers as in Golden::layers
    std::vector<float> image;
};

struct Golden {
    std::string mode;
    // "torch": the choices are the published torch.randint draws; "runtime":
    // they are the runtime's Philox draws for (seed, index), per philox.py.
    std::string choice_source = "torch";
    uint32_t T = 0, k = 0, C = 0;
    std::vector<std::string> layers;
    std::vector<GoldenImage> images;
};

Golden load_golden(const std::string& path);

// The comparison of one image's spike counts, in dataflow order.
struct SpikeComparison {
    bool first_mismatch_near_threshold = true;  // false: a mismatch with no membrane near Vth
    size_t mismatched_cells = 0;                // (layer, step) cells whose counts differ
    size_t spike_difference = 0;                // sum of |runtime - reference|
    size_t total_spikes = 0;                    // reference spikes
    std::string first_mismatch;                 // "layer step t: runtime a, reference b"
};

SpikeComparison compare_spikes(const Model& model, const Golden& g, const GoldenImage& img,
                               const ImageTrace& trace);

}  // namespace fsvae::test
