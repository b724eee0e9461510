// sampler.cpp: Philox4x32-10 and the mapping of its words to choices.
// Counter = (image index low, image index high, step, latent / 4); word
// latent % 4 of the output x gives r = floor(x * k / 2^32).
#include "sampler.hpp"

#include <cassert>
#include <cmath>
#include <cstddef>
#include <string>

#include "error.hpp"

namespace fsvae {

std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 4> ctr, std::array<uint32_t, 2> key) {
    constexpr uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
    constexpr uint32_t W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
    for (int round = 0; round < 10; ++round) {
        const uint64_t p0 = uint64_t(M0) * ctr[0];
        const uint64_t p1 = uint64_t(M1) * ctr[2];
        ctr = {uint32_t(p1 >> 32) ^ ctr[1] ^ key[0], uint32_t(p1), uint32_t(p0 >> 32) ^ ctr[3] ^ key[1],
               uint32_t(p0)};
        key[0] += W0;
        key[1] += W1;
    }
    return ctr;
}

ChoiceSource::ChoiceSource(uint64_t seed, uint64_t image_index, uint32_t k, uint32_t latent_dim,
                           std::span<const uint16_t> injected)
    : key_{uint32_t(seed), uint32_t(seed >> 32)},
      index_(image_index),
      k_(k),
      latent_dim_(latent_dim),
      injected_(injected.empty() ? nullptr : injected.data()),
      n_injected_(injected.size()) {
    // Choices from outside are checked here, once: the sampler indexes the
    // sampled layer's spikes with c * k + r and trusts r < k.
    if (k == 0 || latent_dim == 0)
        throw Error("sampler choices need k and latent_dim of at least 1");
    if (injected.size() % latent_dim != 0)
        throw Error("injected sampler choices: " + std::to_string(injected.size()) +
                    " values are not whole steps of " + std::to_string(latent_dim) + " latents");
    for (size_t i = 0; i < injected.size(); ++i)
        if (injected[i] >= k)
            throw Error("injected sampler choices: step " + std::to_string(i / latent_dim) +
                        ", latent " + std::to_string(i % latent_dim) + " is " +
                        std::to_string(injected[i]) + ", not below k = " + std::to_string(k));
}

void ChoiceSource::choices(uint32_t t, uint32_t* r) const {
    if (injected_) {
        assert(size_t(t + 1) * latent_dim_ <= n_injected_);
        const uint16_t* row = injected_ + size_t(t) * latent_dim_;
        for (uint32_t c = 0; c < latent_dim_; ++c) {
            assert(row[c] < k_);  // checked when the source was made
            r[c] = row[c];
        }
        return;
    }
    for (uint32_t c = 0; c < latent_dim_; c += 4) {
        const auto x = philox4x32({uint32_t(index_), uint32_t(index_ >> 32), t, c / 4}, key_);
        for (uint32_t l = 0; l < 4 && c + l < latent_dim_; ++l)
            r[c + l] = uint32_t((uint64_t(x[l]) * k_) >> 32);
    }
}

namespace {
constexpr uint32_t kUniformStream = 1u << 24, kGaussianStream = 2u << 24;
constexpr float kTwoPow24 = 16777216.0f;
}  // namespace

void ChoiceSource::uniforms(uint32_t t, float* u) const {
    if (injected_uniform_) {
        const float* row = injected_uniform_ + size_t(t) * latent_dim_;
        for (uint32_t c = 0; c < latent_dim_; ++c) u[c] = row[c];
        return;
    }
    // 24 bits: every value is a float exactly, and 1 is never reached.
    for (uint32_t c = 0; c < latent_dim_; c += 4) {
        const auto x = philox4x32({uint32_t(index_), uint32_t(index_ >> 32), t | kUniformStream, c / 4}, key_);
        for (uint32_t l = 0; l < 4 && c + l < latent_dim_; ++l) u[c + l] = float(x[l] >> 8) / kTwoPow24;
    }
}

void ChoiceSource::gaussians(float* g) const {
    if (injected_gaussian_) {
        for (uint32_t c = 0; c < latent_dim_; ++c) g[c] = injected_gaussian_[c];
        return;
    }
    // Box-Muller: each pair of words gives two normals; 1 - u keeps the
    // logarithm's argument in (0, 1].
    constexpr double kTwoPi = 6.283185307179586476925286766559;
    for (uint32_t c = 0; c < latent_dim_; c += 4) {
        const auto x = philox4x32({uint32_t(index_), uint32_t(index_ >> 32), kGaussianStream, c / 4}, key_);
        for (uint32_t pair = 0; pair < 2; ++pair) {
            const double u1 = 1.0 - double(x[2 * pair] >> 8) / double(kTwoPow24);
            const double u2 = double(x[2 * pair + 1] >> 8) / double(kTwoPow24);
            const double r = std::sqrt(-2.0 * std::log(u1));
            const double v[2] = {r * std::cos(kTwoPi * u2), r * std::sin(kTwoPi * u2)};
            for (uint32_t l = 0; l < 2; ++l)
                if (c + 2 * pair + l < latent_dim_) g[c + 2 * pair + l] = float(v[l]);
        }
    }
}

}  // namespace fsvae
