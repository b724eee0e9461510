// architecture.hpp: the layers an FSVAE must have, derived from its variant and
// metadata. The loader checks a file against this list before the first step,
// so the step loop can run without checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fsvae {

enum class Variant : uint8_t { FSVAE = 0, FSVAELarge = 1 };
enum class LayerKind : uint8_t { Linear = 0, Conv = 1, ConvTranspose = 2 };
// How z is drawn and how the image is read (formats/fsvae.fbs, docs/models.md).
enum class SamplerKind : uint8_t { FsvaeAutoregressive = 0, EsvaeRate = 1 };
enum class ReadoutKind : uint8_t { MembraneDecay = 0, Taid = 1 };

const char* variant_name(Variant v);
const char* layer_kind_name(LayerKind k);
// "fsvae_autoregressive", "esvae_rate"; "membrane_decay", "taid".
const char* sampler_kind_name(SamplerKind k);
const char* readout_kind_name(ReadoutKind k);

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

// Indices into Architecture::layers, by role (kNone: a layer this model
// does not have).
struct Topology {
    static constexpr size_t kNone = SIZE_MAX;
    std::vector<size_t> encoder;
    size_t before_latent = 0;
    size_t posterior[3] = {};
    size_t prior[3] = {};
    size_t decoder_input = 0;
    std::vector<size_t> decoder;
    size_t final0 = 0, final1 = 0;
    // ESVAE: the real-valued Linear C -> C whose sigmoid gives generation's rates.
    size_t sample_layer = kNone;
    // TAID: the T x T gate across steps, a Linear T -> T (no bias, stored as zeros).
    size_t readout_gate = kNone;
};

struct Architecture {
    std::vector<LayerSpec> layers;  // canonical order, as the exporter writes them
    Topology topo;
};

// The architecture of the published model for these parameters. An
// esvae_rate sampler replaces the prior and posterior by sample_layer.0; a
// taid readout adds its gate across the T steps.
Architecture make_architecture(Variant variant, uint32_t latent_dim, uint32_t k,
                               uint32_t image_channels,
                               SamplerKind sampler = SamplerKind::FsvaeAutoregressive,
                               ReadoutKind readout = ReadoutKind::MembraneDecay,
                               uint32_t time_steps = 16);

// The image side length of a variant (32 or 64).
uint32_t variant_image_size(Variant v);

}  // namespace fsvae
