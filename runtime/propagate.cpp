// propagate.cpp: event scatter for linear, strided and transposed convolutions.
//
// Conv (stride s, padding p): input (iy, ix) feeds output (oy, ox) through tap
// (ky, kx) when iy = s*oy - p + ky, i.e. oy = (iy + p - ky) / s when divisible.
// ConvTranspose: input (iy, ix) adds tap (ky, kx) to output (s*iy - p + ky,
// s*ix - p + kx) where that pixel exists. Events arrive pixel-major (channel-
// last indices in increasing order), so for each kernel row the taps of one
// input pixel's channels that fired are first summed, in registers, and the
// sum is added to the output pixels they reach (kernels::AddRowSumsFn): the
// output, the large array, is touched once per active pixel instead of once
// per event. Every output element thus receives, in pixel order, one sum per
// active input pixel; the order is fixed by the events alone.
// The image layer (a transposed convolution to 1 or 3 channels, no LIF) is
// not stepped: the readout applies it once per image (readout_image).
#include "propagate.hpp"

#include <algorithm>
#include <cassert>
#include <string>

#include "error.hpp"

namespace fsvae {
namespace {

// Division by a layer constant. Event decoding divides every event index by
// the channel count and the width; an integer division costs tens of cycles,
// a shift one, and every FSVAE size is a power of two.
struct Divider {
    explicit Divider(uint32_t divisor)
        : d(divisor), shift(divisor && !(divisor & (divisor - 1)) ? __builtin_ctz(divisor) : -1) {}
    uint32_t div(uint32_t x) const { return shift >= 0 ? x >> shift : x / d; }
    uint32_t mod(uint32_t x) const { return shift >= 0 ? x & (d - 1) : x % d; }
    uint32_t d;
    int shift;
};

// Appends the spans of input pixel (iy, ix) that land in output rows
// [y0, y1) to scratch and returns the new count. row0 is the offset of the
// pixel's K x K x cout taps in the rows.
inline size_t add_spans(const LayerSpec& s, uint32_t iy, uint32_t ix, uint32_t row0,
                        PairScratch sc, size_t n, int y0, int y1) {
    const int K = int(s.kernel), S = int(s.stride), P = int(s.padding);
    const int W = int(s.out.w);
    const uint32_t C = s.out.c;
    if (s.kind == LayerKind::ConvTranspose) {
        // Consecutive taps kx reach consecutive output pixels, and both the
        // taps' rows and the pixels' channels are contiguous: one span per ky.
        const int ox0 = S * int(ix) - P;
        const int kx_lo = std::max(0, -ox0), kx_hi = std::min(K, W - ox0);
        if (kx_lo >= kx_hi) return n;
        for (int ky = 0; ky < K; ++ky) {
            const int oy = S * int(iy) - P + ky;
            if (oy < y0 || oy >= y1) continue;
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
        if (oy < y0 || oy >= y1) continue;
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

size_t max_pairs(const LayerSpec& s, bool dense) {
    if (s.kind == LayerKind::Linear) return 0;
    // Per input element and tap: strided convolutions, real-valued inputs,
    // and the dense mode (propagate_values).
    if (s.kind == LayerKind::Conv || dense) return s.in.size() * s.kernel * s.kernel;
    // A transposed convolution adds one span per active pixel and kernel row.
    return size_t(s.in.h) * s.in.w * s.kernel;
}

size_t split_output(const LayerSpec& s, size_t parts, OutputPart* out) {
    // Linear: columns in whole cache lines; convolutions: whole output rows.
    const size_t unit = s.kind == LayerKind::Linear ? 16 : size_t(s.out.w) * s.out.c;
    const size_t units = (s.out.size() + unit - 1) / unit;
    parts = std::max<size_t>(1, std::min(parts, units));
    for (size_t k = 0; k < parts; ++k) {
        out[k].lo = std::min(s.out.size(), units * k / parts * unit);
        out[k].hi = std::min(s.out.size(), units * (k + 1) / parts * unit);
    }
    return parts;
}

void check_events(const LayerSpec& s, const uint32_t* events, size_t n) {
    for (size_t e = 0; e < n; ++e) {
        if (events[e] >= s.in.size())
            throw Error("layer \"" + s.name + "\": event " + std::to_string(e) + " (input " +
                        std::to_string(events[e]) + ") is past the layer's " +
                        std::to_string(s.in.size()) + " inputs");
        if (e > 0 && events[e] <= events[e - 1])
            throw Error("layer \"" + s.name + "\": event " + std::to_string(e) + " (input " +
                        std::to_string(events[e]) + ") does not follow event " +
                        std::to_string(e - 1) + " (input " + std::to_string(events[e - 1]) +
                        "); events must be strictly increasing");
    }
}

namespace {

#ifndef NDEBUG
bool events_ok(const LayerSpec& s, const uint32_t* events, size_t n) {
    for (size_t e = 0; e < n; ++e)
        if (events[e] >= s.in.size() || (e > 0 && events[e] <= events[e - 1])) return false;
    return true;
}
#endif

// The weights a layer's events add, float or int8, and the kernels for
// them. Floats accumulate into floats; int8 rows into exact int32 sums,
// which do not depend on the order of additions.
struct FloatRows {
    using Acc = float;
    const float* w;
    const kernels::KernelTable& K;
    void add(float* out, size_t col, const uint32_t* idx, size_t n, size_t len, size_t stride) const {
        K.accumulate_rows(out, w + col, idx, n, len, stride);
    }
    // out += (the rows' sum from zero): one transposed-convolution pixel's
    // channels, for the taps of one span.
    void add_sum(float* out, size_t col, const uint32_t* idx, size_t n, size_t len, size_t stride) const {
        K.add_row_sums(out, w + col, idx, n, len, stride);
    }
    void scatter_rows(float* out, PairScratch sc, size_t np) const {
        K.scatter_rows(out, w, sc.dst, sc.src, sc.len, np);
    }
};

struct Int8Rows {
    using Acc = int32_t;
    const int8_t* w;
    const kernels::KernelTable& K;
    void add(int32_t* out, size_t col, const uint32_t* idx, size_t n, size_t len, size_t stride) const {
        K.accumulate_rows_i8(out, w + col, idx, n, len, stride);
    }
    // Integer sums are the same in any order: the rows add straight in,
    // through the kernel for short spans.
    void add_sum(int32_t* out, size_t col, const uint32_t* idx, size_t n, size_t len, size_t stride) const {
        K.add_row_sums_i8(out, w + col, idx, n, len, stride);
    }
    void scatter_rows(int32_t* out, PairScratch sc, size_t np) const {
        K.scatter_rows_i8(out, w, sc.dst, sc.src, sc.len, np);
    }
};

// propagate_events without the check (lif_step's), for either kind of weights.
template <class Rows>
uint64_t add_events(const Layer& L, const Rows& R, const uint32_t* events, size_t n,
                    typename Rows::Acc* target, PairScratch sc, OutputPart part) {
    assert(events_ok(L.spec, events, n));
    const LayerSpec& s = L.spec;
    const size_t lo = part.lo, len = part.size(s);
    if (s.kind == LayerKind::Linear) {
        R.add(target + lo, lo, events, n, len, s.row_len());
        return uint64_t(n) * len;
    }
    const size_t row_floats = size_t(s.out.w) * s.out.c;
    const int y0 = int(lo / row_floats), y1 = int((lo + len) / row_floats);
    const Divider cin(s.in.c), win(s.in.w);
    const uint32_t taps = s.kernel * s.kernel * s.out.c;  // floats per channel row
    uint64_t ops = 0;
    if (s.kind == LayerKind::ConvTranspose) {
        // One pixel at a time: per span (kernel row), its channels' rows
        // are summed and the sum added to the output. The sums do not
        // depend on the output, so every output element still receives its
        // pixels' sums in pixel order. Only the spans in the part's output
        // rows are summed: parts sum disjoint kernel rows, and a pixel on
        // the border skips the taps outside the output.
        //
        // Only the events of input rows that reach the part are read: iy
        // with S*iy - P + ky in [y0, y1) for some ky < K (events are in
        // pixel order, so those rows' events are one range).
        const int S = int(s.stride), P = int(s.padding), Kk = int(s.kernel);
        const size_t per_row = size_t(s.in.w) * s.in.c;
        const int iy_lo = std::min(std::max(0, y0 + P - Kk + S) / S, int(s.in.h));
        const int iy_hi = std::max(iy_lo, std::min((y1 + P - 1) / S + 1, int(s.in.h)));
        size_t e = size_t(std::lower_bound(events, events + n, uint32_t(iy_lo * per_row)) - events);
        n = size_t(std::lower_bound(events + e, events + n, uint32_t(iy_hi * per_row)) - events);
        while (e < n) {
            const uint32_t p = cin.div(events[e]);
            size_t m = 0;
            for (; e + m < n && cin.div(events[e + m]) == p; ++m) sc.chan[m] = cin.mod(events[e + m]);
            e += m;
            const size_t spans = add_spans(s, win.div(p), win.mod(p), 0, sc, 0, y0, y1);
            for (size_t i = 0; i < spans; ++i) {
                R.add_sum(target + sc.dst[i], sc.src[i], sc.chan, m, sc.len[i], taps);
                ops += uint64_t(m) * sc.len[i];
            }
        }
        return ops;
    }
    size_t np = 0;  // a strided convolution: one span per event and tap
    for (size_t e = 0; e < n; ++e) {
        const uint32_t ci = cin.mod(events[e]), p = cin.div(events[e]);
        np = add_spans(s, win.div(p), win.mod(p), ci * taps, sc, np, y0, y1);
    }
    R.scatter_rows(target, sc, np);
    for (size_t i = 0; i < np; ++i) ops += sc.len[i];
    return ops;
}

uint64_t add_events(const Layer& L, const kernels::KernelTable& K, const uint32_t* events,
                    size_t n, float* target, PairScratch sc, OutputPart part) {
    assert(!L.int8());
    return add_events(L, FloatRows{L.weight, K}, events, n, target, sc, part);
}

uint64_t add_events_i8(const Layer& L, const kernels::KernelTable& K, const uint32_t* events,
                       size_t n, int32_t* target, PairScratch sc, OutputPart part) {
    return add_events(L, Int8Rows{L.weight_i8, K}, events, n, target, sc, part);
}

}  // namespace

uint64_t propagate_values(const Layer& L, const kernels::KernelTable& K, const float* values,
                          float* target, PairScratch sc) {
    const LayerSpec& s = L.spec;
    size_t np = 0;
    for (uint32_t y = 0; y < s.in.h; ++y)
        for (uint32_t x = 0; x < s.in.w; ++x)
            for (uint32_t c = 0; c < s.in.c; ++c) {
                const float v = values[(size_t(y) * s.in.w + x) * s.in.c + c];
                const size_t first = np;
                np = add_spans(s, y, x, c * s.kernel * s.kernel * s.out.c, sc, np, 0, int(s.out.h));
                for (size_t i = first; i < np; ++i) sc.scale[i] = v;
            }
    K.scatter_rows_scaled(target, L.weight, sc.dst, sc.src, sc.len, sc.scale, np);
    uint64_t ops = 0;
    for (size_t i = 0; i < np; ++i) ops += sc.len[i];
    return ops;
}

namespace {

// propagate_dense without the check (lif_step's).
uint64_t add_dense(const Layer& L, const kernels::KernelTable& K, const uint32_t* events,
                   size_t n, float* target, PairScratch sc, float* values) {
    assert(events_ok(L.spec, events, n));
    const LayerSpec& s = L.spec;
    std::fill(values, values + s.in.size(), 0.0f);
    for (size_t e = 0; e < n; ++e) values[events[e]] = 1.0f;
    if (s.kind == LayerKind::Linear) {
        K.accumulate_rows_scaled(target, L.weight, values, s.in.size(), s.row_len(), s.row_len());
        return uint64_t(s.in.size()) * s.row_len();
    }
    return propagate_values(L, K, values, target, sc);
}

// Row stride of the readout's channel-major copy of S: a row of in.h * in.w
// floats padded by one cache line, since rows a power of two apart (4 KB for
// 32 x 32) would all fall in the same cache set.
size_t readout_stride(const LayerSpec& s) { return size_t(s.in.h) * s.in.w + 16; }

}  // namespace

uint64_t propagate_events(const Layer& L, const kernels::KernelTable& K, const uint32_t* events,
                          size_t n, float* target, PairScratch sc, OutputPart part) {
    if (L.int8()) throw Error("layer \"" + L.spec.name + "\": int8 weights sum into integers, not floats");
    check_events(L.spec, events, n);
    return add_events(L, K, events, n, target, sc, part);
}

uint64_t propagate_events(const Layer& L, const kernels::KernelTable& K, const uint32_t* events,
                          size_t n, int32_t* target, PairScratch sc, OutputPart part) {
    if (!L.int8()) throw Error("layer \"" + L.spec.name + "\": float weights sum into floats, not integers");
    check_events(L.spec, events, n);
    return add_events_i8(L, K, events, n, target, sc, part);
}

uint64_t propagate_dense(const Layer& L, const kernels::KernelTable& K, const uint32_t* events,
                         size_t n, float* target, PairScratch sc, float* values) {
    check_events(L.spec, events, n);
    return add_dense(L, K, events, n, target, sc, values);
}

size_t readout_scratch_floats(const LayerSpec& s) {
    const size_t planes = size_t(s.kernel) * s.kernel * s.out.c;
    return planes * s.in.c + s.in.c * readout_stride(s) + planes * s.in.h * s.in.w;
}

uint64_t readout_macs(const LayerSpec& s) {
    return uint64_t(s.kernel) * s.kernel * s.out.c * s.in.c * s.in.h * s.in.w;
}

uint64_t readout_image(const Layer& L, const kernels::KernelTable& K, const float* sum,
                       float bias_weight, float* out, float* scratch) {
    const LayerSpec& s = L.spec;
    const uint32_t Cin = s.in.c, C = s.out.c, Kk = s.kernel;
    const size_t planes = size_t(Kk) * Kk * C, hw = size_t(s.in.h) * s.in.w;
    const size_t stride = readout_stride(s);
    // Weights per (tap, output channel), contiguous over the input channels.
    float* wt = scratch;
    float* by_channel = wt + planes * Cin;
    float* plane = by_channel + Cin * stride;
    for (size_t pc = 0; pc < planes; ++pc)
        for (uint32_t ci = 0; ci < Cin; ++ci) wt[pc * Cin + ci] = L.weight[size_t(ci) * planes + pc];
    // Channel-last to channel-major, 16 pixels at a time: each channel's
    // row is written a cache line at a time.
    for (size_t p0 = 0; p0 < hw; p0 += 16) {
        const size_t p1 = std::min(hw, p0 + 16);
        for (uint32_t ci = 0; ci < Cin; ++ci)
            for (size_t p = p0; p < p1; ++p) by_channel[ci * stride + p] = sum[p * Cin + ci];
    }
    std::fill(plane, plane + planes * hw, 0.0f);
    for (size_t pc = 0; pc < planes; ++pc)
        K.accumulate_rows_scaled(plane + pc * hw, by_channel, wt + pc * Cin, Cin, hw, stride);
    uint64_t ops = readout_macs(s);

    const int S = int(s.stride), P = int(s.padding);
    const int Hin = int(s.in.h), Win = int(s.in.w), Hout = int(s.out.h), Wout = int(s.out.w);
    for (size_t p = 0; p < size_t(Hout) * Wout; ++p)
        for (uint32_t c = 0; c < C; ++c) out[p * C + c] = L.bias[c] * bias_weight;
    auto first_out = [&](int k) {  // smallest o >= 0 with o + P - k >= 0 and divisible by S
        int o = k - P;
        if (o < 0) o += ((-o + S - 1) / S) * S;
        return o;
    };
    // Output (oy, ox) takes tap (ky, kx) of input (iy, ix) where oy = S*iy - P + ky.
    for (int ky = 0; ky < int(Kk); ++ky) {
        for (int kx = 0; kx < int(Kk); ++kx) {
            const int ox0 = first_out(kx);
            for (int oy = first_out(ky); oy < Hout; oy += S) {
                const int iy = (oy + P - ky) / S;
                if (iy >= Hin) break;
                float* o = out + size_t(oy) * Wout * C;
                for (uint32_t c = 0; c < C; ++c) {
                    const float* src = plane + ((size_t(ky) * Kk + kx) * C + c) * hw + size_t(iy) * Win;
                    for (int ox = ox0, ix = (ox0 + P - kx) / S; ox < Wout && ix < Win; ox += S, ++ix) {
                        o[size_t(ox) * C + c] += src[ix];
                        ++ops;
                    }
                }
            }
        }
    }
    return ops;
}

size_t lif_step(const Layer& L, const kernels::KernelTable& K, float tau, float vth, float* u,
                const uint32_t* events, size_t n_events, uint32_t* fired, PairScratch scratch,
                uint64_t* ops, float* dense_values, float* readout_sum, float readout_decay,
                OutputPart part, int32_t* acc) {
    const LayerSpec& s = L.spec;
    const size_t lo = part.lo;
    if (L.int8()) {
        // Exact integer sums, the same whether dense or event-driven: the
        // dense mode takes the event path for int8 layers.
        assert(acc);
        *ops += add_events_i8(L, K, events, n_events, acc, scratch, part);
        const bool linear = s.kind == LayerKind::Linear;
        const size_t len = part.size(s), C = s.bias_size();
        if (linear)
            K.add_scaled_sums(u + lo, acc + lo, L.scale + lo, 1, len);
        else
            K.add_scaled_sums(u + lo, acc + lo, L.scale, len / C, C);
    } else {
        *ops += dense_values ? add_dense(L, K, events, n_events, u, scratch, dense_values)
                             : add_events(L, K, events, n_events, u, scratch, part);
    }
    const size_t n = K.fire(u + lo, part.size(s), vth, fired,
                            fire_next(L, tau, readout_sum, readout_decay, part));
    if (lo)
        for (size_t i = 0; i < n; ++i) fired[i] += uint32_t(lo);
    return n;
}

kernels::FireNext fire_next(const Layer& L, float tau, float* readout_sum, float readout_decay,
                            OutputPart part) {
    // A linear layer's bias has one entry per neuron; a convolution's one
    // per channel, and its parts start at whole rows.
    const bool linear = L.spec.kind == LayerKind::Linear;
    kernels::FireNext next;
    next.tau = tau;
    next.bias = linear ? L.bias + part.lo : L.bias;
    next.channels = linear ? part.size(L.spec) : L.spec.bias_size();
    next.sum = readout_sum ? readout_sum + part.lo : nullptr;
    next.sum_decay = readout_decay;
    return next;
}

void first_leak(const Layer& L, const kernels::KernelTable& K, float tau, float* u, OutputPart part) {
    const LayerSpec& s = L.spec;
    const size_t n = part.size(s);
    if (s.kind == LayerKind::Linear)
        K.decay_bias(u + part.lo, L.bias + part.lo, 1, n, tau);
    else
        K.decay_bias(u + part.lo, L.bias, n / s.bias_size(), s.bias_size(), tau);
}

}  // namespace fsvae
