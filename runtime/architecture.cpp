// architecture.cpp: the published FSVAE and FSVAELarge layer lists
// (see the model contract: layer shapes and kinds per variant).
#include "architecture.hpp"

namespace fsvae {

const char* variant_name(Variant v) { return v == Variant::FSVAE ? "FSVAE" : "FSVAELarge"; }

const char* layer_kind_name(LayerKind k) {
    switch (k) {
        case LayerKind::Linear: return "linear";
        case LayerKind::Conv: return "conv";
        case LayerKind::ConvTranspose: return "conv_transpose";
    }
    return "?";
}

const char* sampler_kind_name(SamplerKind k) {
    return k == SamplerKind::FsvaeAutoregressive ? "fsvae_autoregressive" : "esvae_rate";
}

const char* readout_kind_name(ReadoutKind k) {
    return k == ReadoutKind::MembraneDecay ? "membrane_decay" : "taid";
}

uint32_t variant_image_size(Variant v) { return v == Variant::FSVAE ? 32 : 64; }

Architecture make_architecture(Variant variant, uint32_t latent_dim, uint32_t k,
                               uint32_t image_channels, SamplerKind sampler, ReadoutKind readout,
                               uint32_t time_steps) {
    std::vector<uint32_t> hidden = {32, 64, 128, 256};
    if (variant == Variant::FSVAELarge) hidden.push_back(512);
    const uint32_t size = variant_image_size(variant);
    const uint32_t C = latent_dim;

    Architecture a;
    auto add = [&](LayerSpec s) {
        a.layers.push_back(std::move(s));
        return a.layers.size() - 1;
    };
    auto linear = [](std::string name, Shape3 in, Shape3 out, float alpha) {
        LayerSpec s;
        s.name = std::move(name);
        s.kind = LayerKind::Linear;
        s.in = in;
        s.out = out;
        s.bn_alpha = alpha;
        return s;
    };
    auto conv = [](std::string name, LayerKind kind, Shape3 in, Shape3 out, uint32_t stride,
                   uint32_t output_padding, bool spiking) {
        LayerSpec s;
        s.name = std::move(name);
        s.kind = kind;
        s.in = in;
        s.out = out;
        s.kernel = 3;
        s.stride = stride;
        s.padding = 1;
        s.output_padding = output_padding;
        s.spiking = spiking;
        s.bn_alpha = spiking ? 1.0f : 0.0f;
        return s;
    };

    // Encoder: stride-2 convolutions halve the map.
    Shape3 map{image_channels, size, size};
    for (size_t i = 0; i < hidden.size(); ++i) {
        Shape3 out{hidden[i], map.h / 2, map.w / 2};
        a.topo.encoder.push_back(
            add(conv("encoder." + std::to_string(i), LayerKind::Conv, map, out, 2, 0, true)));
        map = out;
    }
    const Shape3 last_map = map;  // 256x2x2 or 512x2x2
    a.topo.before_latent = add(linear("before_latent_layer", last_map, {C}, 1.0f));

    if (sampler == SamplerKind::FsvaeAutoregressive) {
        // The published prior and posterior widen the latent to 2C and 4C
        // (256 and 512 at the usual C = 128), then to C*k.
        a.topo.posterior[0] = add(linear("posterior.layers.0", {2 * C}, {2 * C}, 2.0f));
        a.topo.posterior[1] = add(linear("posterior.layers.1", {2 * C}, {4 * C}, 2.0f));
        a.topo.posterior[2] = add(linear("posterior.layers.2", {4 * C}, {C * k}, 2.0f));
        a.topo.prior[0] = add(linear("prior.layers.0", {C}, {2 * C}, 2.0f));
        a.topo.prior[1] = add(linear("prior.layers.1", {2 * C}, {4 * C}, 2.0f));
        a.topo.prior[2] = add(linear("prior.layers.2", {4 * C}, {C * k}, 2.0f));
    } else {
        // ESVAE keeps prior.* and posterior.* in its checkpoints but never
        // runs them; the file holds only the layer that gives its rates.
        for (size_t i = 0; i < 3; ++i) a.topo.posterior[i] = a.topo.prior[i] = Topology::kNone;
        LayerSpec s = linear("sample_layer.0", {C}, {C}, 0.0f);
        s.spiking = false;
        a.topo.sample_layer = add(std::move(s));
    }

    a.topo.decoder_input = add(linear("decoder_input", {C}, last_map, 1.0f));
    map = last_map;
    for (size_t i = hidden.size() - 1; i >= 1; --i) {
        Shape3 out{hidden[i - 1], map.h * 2, map.w * 2};
        a.topo.decoder.push_back(add(conv("decoder." + std::to_string(hidden.size() - 1 - i),
                                          LayerKind::ConvTranspose, map, out, 2, 1, true)));
        map = out;
    }
    Shape3 up{hidden[0], map.h * 2, map.w * 2};
    a.topo.final0 = add(conv("final_layer.0", LayerKind::ConvTranspose, map, up, 2, 1, true));
    a.topo.final1 = add(conv("final_layer.1", LayerKind::ConvTranspose, up,
                             {image_channels, up.h, up.w}, 1, 0, false));
    if (readout == ReadoutKind::Taid) {
        LayerSpec s = linear("membrane_output_layer.conv", {time_steps}, {time_steps}, 0.0f);
        s.spiking = false;
        a.topo.readout_gate = add(std::move(s));
    }
    return a;
}

}  // namespace fsvae
