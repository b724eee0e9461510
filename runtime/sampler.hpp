// sampler.hpp: the latent sampler's random choices. For latent c at step t
// the sampler picks r in 0..k-1 and sets z_t[c] = out_t[c*k + r]. The choice
// comes from a counter-based generator (Philox4x32-10, Salmon et al., SC 2011)
// keyed by the seed and counting (image index, step, latent), so an image
// depends only on its seed and index, never on batch size or thread count.
//
// ESVAE's rate sampler (docs/models.md) draws from the same generator, in
// streams of their own (the step word's top byte: 0 choices, 1 uniforms,
// 2 Gaussians): a uniform U_t[c] in [0, 1) per step and latent, and one
// Gaussian g[c] per latent and image (Box-Muller, in double).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace fsvae {

// Philox4x32 with 10 rounds.
std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

class ChoiceSource {
public:
    // With `injected` non-empty, choices are read from it (steps x C values
    // in 0..k-1, row t then latent c; not copied: it must outlive the
    // source); otherwise drawn from the generator. Throws fsvae::Error if an
    // injected value is k or more, the values are not whole steps, or k or
    // latent_dim is 0.
    ChoiceSource(uint64_t seed, uint64_t image_index, uint32_t k, uint32_t latent_dim,
                 std::span<const uint16_t> injected = {});
    // A placeholder (seed 0, image 0, k 1, one latent), to be assigned over.
    ChoiceSource() : ChoiceSource(0, 0, 1, 1) {}

    // Fills r[0..latent_dim) for step t.
    void choices(uint32_t t, uint32_t* r) const;

    uint32_t k() const { return k_; }
    uint32_t latent_dim() const { return latent_dim_; }
    // Steps of injected choices held (0: drawn from the generator).
    size_t injected_steps() const { return injected_ ? n_injected_ / latent_dim_ : 0; }
    // ESVAE's draws: u[0..latent_dim) for step t, each (x >> 8) * 2^-24 of
    // a 32-bit word x; g[0..latent_dim), standard normal.
    void uniforms(uint32_t t, float* u) const;
    void gaussians(float* g) const;
    // Reads them instead from `gaussian` (latent_dim values) and `uniform`
    // (T x latent_dim values, row t then latent c), where not null: the
    // draws a reference made, for parity. Both must outlive this source.
    void inject_rate_draws(const float* gaussian, const float* uniform) {
        injected_gaussian_ = gaussian;
        injected_uniform_ = uniform;
    }

private:
    std::array<uint32_t, 2> key_;
    uint64_t index_;
    uint32_t k_, latent_dim_;
    const uint16_t* injected_;
    size_t n_injected_;
    const float* injected_gaussian_ = nullptr;
    const float* injected_uniform_ = nullptr;
};

}  // namespace fsvae
