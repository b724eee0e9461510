// architecture.hpp: the layers an FSVAE must have, derived from its variant and
// metadata. The loader checks a file against this list before the first step,
// so the step loop can run without checks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fsvae {

enum class Variant : uint8_t { FSVAE = 0, FSVAELarge = 1 };
enum class LayerKind : uint8_t { Linear = 0, Conv = 1, ConvTranspose = 2 };

const char* variant_name(Variant v);
const char* layer_kind_name(LayerKind k);

struct Shape3 {
    uint32_t c = 0, h = 1, w = 1;
    size_t size() const { return size_t(c) * h * w; }
    bool operator==(const Shape3&) const = default;
};

struct LayerSpec {
    std::string name;  // checkpoint prefix
    LayerKind kind = LayerKind::Linear;
    Shape3 in, out;
    uint32_t kernel = 1, stride = 1, padding = 0, output_padding = 0;
    bool spiking = true;
    float bn_alpha = 0;

    // Floats per weight row: one row per input neuron (linear) or per
    // (input channel, tap) (convolutions).
    size_t row_len() const { return kind == LayerKind::Linear ? out.size() : out.c; }
    size_t weight_size() const {
        return kind == LayerKind::Linear ? in.size() * out.size()
                                         : size_t(in.c) * kernel * kernel * out.c;
    }
    size_t bias_size() const { return kind == LayerKind::Linear ? out.size() : out.c; }
};

// Indices into Architecture::layers, by role.
struct Topology {
    std::vector<size_t> encoder;
    size_t before_latent = 0;
    size_t posterior[3] = {};
    size_t prior[3] = {};
    size_t decoder_input = 0;
    std::vector<size_t> decoder;
    size_t final0 = 0, final1 = 0;
};

struct Architecture {
    std::vector<LayerSpec> layers;  // canonical order, as the exporter writes them
    Topology topo;
};

// The architecture of the published model for these parameters.
Architecture make_architecture(Variant variant, uint32_t latent_dim, uint32_t k,
                               uint32_t image_channels);

// The image side length of a variant (32 or 64).
uint32_t variant_image_size(Variant v);

}  // namespace fsvae
