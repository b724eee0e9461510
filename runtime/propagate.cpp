// propagate.cpp: event scatter for linear, strided and transposed convolutions.
//
// Conv (stride s, padding p): input (iy, ix) feeds output (oy, ox) through tap
// (ky, kx) when iy = s*oy - p + ky, i.e. oy = (iy + p - ky) / s when divisible.
// ConvTranspose: input (iy, ix) adds tap (ky, kx) to output (s*iy - p + ky,
// s*ix - p + kx) where that pixel exists.
#include "propagate.hpp"

namespace fsvae {
namespace {

// Appends the pairs of input element (iy, ix, ci) to scratch, returns the new count.
inline size_t add_pairs(const LayerSpec& s, uint32_t iy, uint32_t ix, uint32_t ci,
                        PairScratch sc, size_t n) {
    const int K = int(s.kernel), S = int(s.stride), P = int(s.padding);
    const int H = int(s.out.h), W = int(s.out.w);
    const uint32_t C = s.out.c;
    const uint32_t row0 = ci * uint32_t(K * K) * C;
    for (int ky = 0; ky < K; ++ky) {
        int oy;
        if (s.kind == LayerKind::ConvTranspose) {
            oy = S * int(iy) - P + ky;
        } else {
            const int num = int(iy) + P - ky;
            if (num < 0 || num % S) continue;
            oy = num / S;
        }
        if (oy < 0 || oy >= H) continue;
        for (int kx = 0; kx < K; ++kx) {
            int ox;
            if (s.kind == LayerKind::ConvTranspose) {
                ox = S * int(ix) - P + kx;
            } else {
                const int num = int(ix) + P - kx;
                if (num < 0 || num % S) continue;
                ox = num / S;
            }
            if (ox < 0 || ox >= W) continue;
            sc.dst[n] = uint32_t(oy * W + ox) * C;
            sc.src[n] = row0 + uint32_t(ky * K + kx) * C;
            ++n;
        }
    }
    return n;
}

}  // namespace

size_t max_pairs(const LayerSpec& s) {
    if (s.kind == LayerKind::Linear) return 0;
    return s.in.size() * s.kernel * s.kernel;
}

void propagate_events(const Layer& L, const kernels::KernelTable& K, const uint32_t* events,
                      size_t n, float* target, PairScratch sc) {
    const LayerSpec& s = L.spec;
    if (s.kind == LayerKind::Linear) {
        K.accumulate_rows(target, L.weight, events, n, s.row_len());
        return;
    }
    const uint32_t Cin = s.in.c, Win = s.in.w;
    size_t np = 0;
    for (size_t e = 0; e < n; ++e) {
        const uint32_t idx = events[e];
        const uint32_t ci = idx % Cin, p = idx / Cin;
        np = add_pairs(s, p / Win, p % Win, ci, sc, np);
    }
    K.scatter_rows(target, L.weight, sc.dst, sc.src, np, s.out.c);
}

void propagate_values(const Layer& L, const kernels::KernelTable& K, const float* values,
                      float* target, PairScratch sc) {
    const LayerSpec& s = L.spec;
    size_t np = 0;
    for (uint32_t y = 0; y < s.in.h; ++y)
        for (uint32_t x = 0; x < s.in.w; ++x)
            for (uint32_t c = 0; c < s.in.c; ++c) {
                const float v = values[(size_t(y) * s.in.w + x) * s.in.c + c];
                const size_t first = np;
                np = add_pairs(s, y, x, c, sc, np);
                for (size_t i = first; i < np; ++i) sc.scale[i] = v;
            }
    K.scatter_rows_scaled(target, L.weight, sc.dst, sc.src, sc.scale, np, s.out.c);
}

size_t lif_step(const Layer& L, const kernels::KernelTable& K, float tau, float vth, float* u,
                const uint32_t* events, size_t n_events, uint32_t* fired, PairScratch scratch) {
    const LayerSpec& s = L.spec;
    const size_t pixels = s.kind == LayerKind::Linear ? 1 : size_t(s.out.h) * s.out.w;
    K.decay_bias(u, L.bias, pixels, s.bias_size(), tau);
    propagate_events(L, K, events, n_events, u, scratch);
    return K.fire(u, s.out.size(), vth, fired);
}

}  // namespace fsvae
