// propagate.cpp: event scatter for linear, strided and transposed convolutions.
//
// Conv (stride s, padding p): input (iy, ix) feeds output (oy, ox) through tap
// (ky, kx) when iy = s*oy - p + ky, i.e. oy = (iy + p - ky) / s when divisible.
// ConvTranspose: input (iy, ix) adds tap (ky, kx) to output (s*iy - p + ky,
// s*ix - p + kx) where that pixel exists.
// Within one event every output element receives at most one tap, so the
// order of additions into any element is the order of the events.
#include "propagate.hpp"

#include <algorithm>

namespace fsvae {
namespace {

// Appends the spans of input element (iy, ix, ci) to scratch, returns the new count.
inline size_t add_spans(const LayerSpec& s, uint32_t iy, uint32_t ix, uint32_t ci,
                        PairScratch sc, size_t n) {
    const int K = int(s.kernel), S = int(s.stride), P = int(s.padding);
    const int H = int(s.out.h), W = int(s.out.w);
    const uint32_t C = s.out.c;
    const uint32_t row0 = ci * uint32_t(K * K) * C;
    if (s.kind == LayerKind::ConvTranspose) {
        // Consecutive taps kx reach consecutive output pixels, and both the
        // taps' rows and the pixels' channels are contiguous: one span per ky.
        const int ox0 = S * int(ix) - P;
        const int kx_lo = std::max(0, -ox0), kx_hi = std::min(K, W - ox0);
        if (kx_lo >= kx_hi) return n;
        for (int ky = 0; ky < K; ++ky) {
            const int oy = S * int(iy) - P + ky;
            if (oy < 0 || oy >= H) continue;
            sc.dst[n] = uint32_t(oy * W + ox0 + kx_lo) * C;
            sc.src[n] = row0 + uint32_t(ky * K + kx_lo) * C;
            sc.len[n] = uint32_t(kx_hi - kx_lo) * C;
            ++n;
        }
        return n;
    }
    for (int ky = 0; ky < K; ++ky) {
        const int num_y = int(iy) + P - ky;
        if (num_y < 0 || num_y % S) continue;
        const int oy = num_y / S;
        if (oy >= H) continue;
        for (int kx = 0; kx < K; ++kx) {
            const int num_x = int(ix) + P - kx;
            if (num_x < 0 || num_x % S) continue;
            const int ox = num_x / S;
            if (ox >= W) continue;
            sc.dst[n] = uint32_t(oy * W + ox) * C;
            sc.src[n] = row0 + uint32_t(ky * K + kx) * C;
            sc.len[n] = C;
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

uint64_t propagate_events(const Layer& L, const kernels::KernelTable& K, const uint32_t* events,
                          size_t n, float* target, PairScratch sc) {
    const LayerSpec& s = L.spec;
    if (s.kind == LayerKind::Linear) {
        K.accumulate_rows(target, L.weight, events, n, s.row_len());
        return uint64_t(n) * s.row_len();
    }
    const uint32_t Cin = s.in.c, Win = s.in.w;
    size_t np = 0;
    for (size_t e = 0; e < n; ++e) {
        const uint32_t idx = events[e];
        const uint32_t ci = idx % Cin, p = idx / Cin;
        np = add_spans(s, p / Win, p % Win, ci, sc, np);
    }
    K.scatter_rows(target, L.weight, sc.dst, sc.src, sc.len, np);
    uint64_t ops = 0;
    for (size_t i = 0; i < np; ++i) ops += sc.len[i];
    return ops;
}

uint64_t propagate_values(const Layer& L, const kernels::KernelTable& K, const float* values,
                          float* target, PairScratch sc) {
    const LayerSpec& s = L.spec;
    size_t np = 0;
    for (uint32_t y = 0; y < s.in.h; ++y)
        for (uint32_t x = 0; x < s.in.w; ++x)
            for (uint32_t c = 0; c < s.in.c; ++c) {
                const float v = values[(size_t(y) * s.in.w + x) * s.in.c + c];
                const size_t first = np;
                np = add_spans(s, y, x, c, sc, np);
                for (size_t i = first; i < np; ++i) sc.scale[i] = v;
            }
    K.scatter_rows_scaled(target, L.weight, sc.dst, sc.src, sc.len, sc.scale, np);
    uint64_t ops = 0;
    for (size_t i = 0; i < np; ++i) ops += sc.len[i];
    return ops;
}

size_t lif_step(const Layer& L, const kernels::KernelTable& K, float tau, float vth, float* u,
                const uint32_t* events, size_t n_events, uint32_t* fired, PairScratch scratch,
                uint64_t* ops) {
    const LayerSpec& s = L.spec;
    const size_t pixels = s.kind == LayerKind::Linear ? 1 : size_t(s.out.h) * s.out.w;
    K.decay_bias(u, L.bias, pixels, s.bias_size(), tau);
    *ops += propagate_events(L, K, events, n_events, u, scratch);
    return K.fire(u, s.out.size(), vth, fired);
}

}  // namespace fsvae
