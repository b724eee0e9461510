// kernels_simd.hpp: the SIMD kernels, written once over an xsimd architecture.
// Included only by the per-architecture files (kernels_<isa>.cpp), each
// compiled with that architecture's flags and holding nothing but the
// instantiation of its table. Every kernel performs, per output element, the
// same float operations in the same order as kernels_scalar.cpp.
#pragma once

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstring>
#include <type_traits>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "kernels.hpp"

namespace fsvae::kernels::simd {

// For every mask of 8 (4) lanes, the numbers of its set lanes in increasing
// order, then zeros: fire's branch-free listing of the lanes that spiked.
struct SetLanes {
    alignas(64) uint64_t of8[256] = {};    // byte k: the k-th set lane
    alignas(64) int32_t of4[16][4] = {};   // entry k: the k-th set lane
    constexpr SetLanes() {
        for (unsigned m = 0; m < 256; ++m)
            for (unsigned l = 0, k = 0; l < 8; ++l)
                if (m >> l & 1) of8[m] |= uint64_t(l) << (8 * k++);
        for (unsigned m = 0; m < 16; ++m)
            for (unsigned l = 0, k = 0; l < 4; ++l)
                if (m >> l & 1) of4[m][k++] = int32_t(l);
    }
};
inline constexpr SetLanes kSetLanesTable{};
inline constexpr const uint64_t* kSetLanes8 = kSetLanesTable.of8;
inline constexpr const int32_t (*kSetLanes4)[4] = kSetLanesTable.of4;

template <class Arch>
struct Kernels {
    using B = xsimd::batch<float, Arch>;
    static constexpr size_t W = B::size;

    // A linear layer's rows: kGroup events at a time, a cache line of
    // columns at a time. The group's rows are streamed side by side, each
    // from its start (the hardware prefetchers follow a few sequential
    // streams; the prior's 5 MB matrix comes from L3), and out's line is
    // loaded once, has the group's lines added in event order, and is
    // stored once. Against a block of out held in registers while every
    // event's row adds into it (each row then read a block at a time, the
    // events' rows far apart), prior.layers.2 took 0.66x the time and the
    // smaller linear layers 0.56-0.89x (microbenchmarks of the bundled
    // model's shapes). One vector at a time (half a line on AVX2) or 1.5
    // lines were slower than a whole line.
    static constexpr size_t kGroup = 8;
    static constexpr size_t kLine = W >= 16 ? 1 : 16 / W;  // vectors per 64-byte line
    static void accumulate_rows(float* out, const float* rows, const uint32_t* active,
                                size_t n_active, size_t row_len, size_t row_stride) {
        in_groups<kGroup>(active, n_active, [&]<size_t G>(const uint32_t* group) {
            add_group<G>(out, rows, group, row_len, row_stride);
        });
    }

    // Calls add.template operator()<G>(events) for consecutive groups of G
    // events, then once for the last n % G, as a group of their count (the
    // group size is a constant in every call, so its loops unroll).
    template <size_t G, class Add>
    static void in_groups(const uint32_t* active, size_t n, Add&& add) {
        size_t a = 0;
        for (; a + G <= n; a += G) add.template operator()<G>(active + a);
        last_group<G - 1>(active + a, n - a, add);
    }
    template <size_t G, class Add>
    static void last_group(const uint32_t* active, size_t n, Add& add) {
        if constexpr (G > 0) {
            if (n == G) return add.template operator()<G>(active);
            last_group<G - 1>(active, n, add);
        }
    }

    template <size_t G>
    static void add_group(float* out, const float* rows, const uint32_t* active, size_t row_len,
                          size_t row_stride) {
        const float* r[G];
        for (size_t g = 0; g < G; ++g) r[g] = rows + size_t(active[g]) * row_stride;
        size_t j = 0;
        for (; j + kLine * W <= row_len; j += kLine * W) {
            B o[kLine];
            for (size_t v = 0; v < kLine; ++v) o[v] = B::load_unaligned(out + j + v * W);
            for (size_t g = 0; g < G; ++g)
                for (size_t v = 0; v < kLine; ++v) o[v] += B::load_unaligned(r[g] + j + v * W);
            for (size_t v = 0; v < kLine; ++v) o[v].store_unaligned(out + j + v * W);
        }
        for (; j + W <= row_len; j += W) {
            B o = B::load_unaligned(out + j);
            for (size_t g = 0; g < G; ++g) o += B::load_unaligned(r[g] + j);
            o.store_unaligned(out + j);
        }
        for (; j < row_len; ++j) {
            float o = out[j];
            for (size_t g = 0; g < G; ++g) o += r[g][j];
            out[j] = o;
        }
    }

    // A transposed convolution's spans (add_row_sums) are short, their rows
    // in L1 or L2: register-blocked over the output, a block of the sum
    // starts from +0 in registers while every event's row adds into it,
    // and is then added to out. Rows are scattered in memory (one per
    // event), so every cache line of the block of the event kPrefetch ahead
    // is requested while this one is added. Blocks of kRowBlock vectors,
    // then of 4, then single vectors: a span's tail (32 of a 96-float span)
    // would otherwise go one vector at a time, each a chain of dependent
    // additions through every event.
    static constexpr size_t kRowBlock = 8;
    static constexpr size_t kPrefetch = 8;
    static void add_row_sums(float* out, const float* rows, const uint32_t* active, size_t n_active,
                             size_t row_len, size_t row_stride) {
        size_t j = 0;
        for (; j + kRowBlock * W <= row_len; j += kRowBlock * W)
            add_block<kRowBlock>(out + j, rows + j, active, n_active, row_stride);
        for (; j + 4 * W <= row_len; j += 4 * W) add_block<4>(out + j, rows + j, active, n_active, row_stride);
        for (; j + W <= row_len; j += W) add_block<1>(out + j, rows + j, active, n_active, row_stride);
        for (; j < row_len; ++j) {
            float o = 0.0f;
            for (size_t a = 0; a < n_active; ++a) o += rows[size_t(active[a]) * row_stride + j];
            out[j] = out[j] + o;
        }
    }

    // out[0, NB * W) += the events' rows there, summed from +0 in NB registers.
    template <size_t NB>
    static void add_block(float* out, const float* rows, const uint32_t* active, size_t n_active,
                          size_t row_stride) {
        constexpr size_t BLOCK = NB * W;
        B o[NB];
        for (size_t b = 0; b < NB; ++b) o[b] = B(0.0f);
        for (size_t a = 0; a < n_active; ++a) {
            if (a + kPrefetch < n_active) {  // every cache line of the block
                const float* p = rows + size_t(active[a + kPrefetch]) * row_stride;
                for (size_t line = 0; line < BLOCK; line += 16) __builtin_prefetch(p + line);
            }
            const float* r = rows + size_t(active[a]) * row_stride;
            for (size_t b = 0; b < NB; ++b) o[b] += B::load_unaligned(r + b * W);
        }
        for (size_t b = 0; b < NB; ++b) (B::load_unaligned(out + b * W) + o[b]).store_unaligned(out + b * W);
    }

    static void accumulate_rows_scaled(float* out, const float* rows, const float* scale,
                                       size_t n_rows, size_t row_len, size_t row_stride) {
        constexpr size_t BLOCK = 4 * W;
        size_t j = 0;
        for (; j + BLOCK <= row_len; j += BLOCK) {
            B o0 = B::load_unaligned(out + j), o1 = B::load_unaligned(out + j + W);
            B o2 = B::load_unaligned(out + j + 2 * W), o3 = B::load_unaligned(out + j + 3 * W);
            for (size_t i = 0; i < n_rows; ++i) {
                const float* r = rows + i * row_stride + j;
                const B s(scale[i]);
                o0 += s * B::load_unaligned(r);
                o1 += s * B::load_unaligned(r + W);
                o2 += s * B::load_unaligned(r + 2 * W);
                o3 += s * B::load_unaligned(r + 3 * W);
            }
            o0.store_unaligned(out + j);
            o1.store_unaligned(out + j + W);
            o2.store_unaligned(out + j + 2 * W);
            o3.store_unaligned(out + j + 3 * W);
        }
        for (; j + W <= row_len; j += W) {
            B o = B::load_unaligned(out + j);
            for (size_t i = 0; i < n_rows; ++i)
                o += B(scale[i]) * B::load_unaligned(rows + i * row_stride + j);
            o.store_unaligned(out + j);
        }
        for (; j < row_len; ++j) {
            float o = out[j];
            for (size_t i = 0; i < n_rows; ++i) {
                const float prod = scale[i] * rows[i * row_stride + j];
                o += prod;
            }
            out[j] = o;
        }
    }

    static void scatter_rows(float* out, const float* rows, const uint32_t* dst,
                             const uint32_t* src, const uint32_t* len, size_t n) {
        for (size_t i = 0; i < n; ++i) {
            float* o = out + dst[i];
            const float* r = rows + src[i];
            const size_t row_len = len[i];
            size_t j = 0;
            for (; j + W <= row_len; j += W)
                (B::load_unaligned(o + j) + B::load_unaligned(r + j)).store_unaligned(o + j);
            for (; j < row_len; ++j) o[j] += r[j];
        }
    }

    static void scatter_rows_scaled(float* out, const float* rows, const uint32_t* dst,
                                    const uint32_t* src, const uint32_t* len, const float* scale,
                                    size_t n) {
        for (size_t i = 0; i < n; ++i) {
            float* o = out + dst[i];
            const float* r = rows + src[i];
            const size_t row_len = len[i];
            const float s = scale[i];
            const B sv(s);
            size_t j = 0;
            for (; j + W <= row_len; j += W) {
                const B prod = sv * B::load_unaligned(r + j);
                (B::load_unaligned(o + j) + prod).store_unaligned(o + j);
            }
            for (; j < row_len; ++j) {
                const float prod = s * r[j];
                o[j] += prod;
            }
        }
    }

    static void decay_bias(float* u, const float* bias, size_t pixels, size_t channels,
                           float tau) {
        const B tv(tau);
        for (size_t p = 0; p < pixels; ++p) {
            float* up = u + p * channels;
            size_t c = 0;
            for (; c + W <= channels; c += W) {
                const B leak = tv * B::load_unaligned(up + c);
                (leak + B::load_unaligned(bias + c)).store_unaligned(up + c);
            }
            for (; c < channels; ++c) {
                const float leak = tau * up[c];
                up[c] = leak + bias[c];
            }
        }
    }

    static size_t fire(float* u, size_t n, float vth, uint32_t* fired, const FireNext& next) {
        return next.sum ? fire_leak<true>(u, n, vth, fired, next)
                        : fire_leak<false>(u, n, vth, fired, next);
    }

    template <bool Sum>
    static size_t fire_leak(float* u, size_t n, float vth, uint32_t* fired, const FireNext& next) {
        const B th(vth), zero(0.0f), one(1.0f), tv(next.tau), dv(next.sum_decay);
        const size_t C = next.channels;
        size_t count = 0;
        size_t i = 0, c = 0;  // c = i mod C
        for (; i + W <= n; i += W) {
            const B v = B::load_unaligned(u + i);
            // Branch-free: at the rates these layers fire, whether a vector
            // holds a spike is a coin toss, and a mispredicted branch costs
            // more than listing an empty vector.
            const auto above = v > th;
            count = append_indices(above, uint32_t(i), v, vth, fired, count);
            const B r = xsimd::select(above, zero, v);
            B bias;
            if (c + W <= C) {
                bias = B::load_unaligned(next.bias + c);
            } else {  // the channels wrap inside this vector
                alignas(64) float lane[W];
                for (size_t l = 0, k = c; l < W; ++l, k = k + 1 == C ? 0 : k + 1) lane[l] = next.bias[k];
                bias = B::load_aligned(lane);
            }
            const B leak = tv * r;
            (leak + bias).store_unaligned(u + i);
            if constexpr (Sum) {
                const B s = dv * B::load_unaligned(next.sum + i);
                (s + xsimd::select(above, one, zero)).store_unaligned(next.sum + i);
            }
            for (c += W; c >= C; c -= C) {
            }
        }
        for (; i < n; ++i) {
            const bool spike = u[i] > vth;
            fired[count] = uint32_t(i);
            count += spike;
            const float r = spike ? 0.0f : u[i];
            const float leak = next.tau * r;
            u[i] = leak + next.bias[c];
            if constexpr (Sum) {
                const float s = next.sum_decay * next.sum[i];
                next.sum[i] = s + (spike ? 1.0f : 0.0f);
            }
            if (++c == C) c = 0;
        }
        return count;
    }

    // Appends base + l for every lane l set in `above` (v[l] > vth), in lane
    // order. May write up to W entries past the new count (fired has room:
    // it holds one entry per neuron and base + W <= n).
    template <class Mask>
    static size_t append_indices(const Mask& above, uint32_t base, const B& v, float vth,
                                 uint32_t* fired, size_t count) {
#if defined(__AVX512F__)
        if constexpr (std::is_same_v<Arch, xsimd::avx512f>) {
            // Compress into a register and store it whole: the compressing
            // store to memory is microcoded on some cores.
            const __mmask16 m = above;
            const __m512i idx = _mm512_add_epi32(
                _mm512_set1_epi32(int(base)),
                _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
            _mm512_storeu_si512(fired + count, _mm512_maskz_compress_epi32(m, idx));
            return count + size_t(__builtin_popcount(m));
        }
#endif
#if defined(__AVX2__)
        if constexpr (std::is_same_v<Arch, xsimd::avx2>) {
            // The lanes set in the mask, from a table of their numbers (one
            // byte each), widened and offset by base: one store, no branch.
            const unsigned m = unsigned(_mm256_movemask_ps(above));
            const __m256i lanes = _mm256_cvtepu8_epi32(
                _mm_loadl_epi64(reinterpret_cast<const __m128i*>(&kSetLanes8[m])));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(fired + count),
                                _mm256_add_epi32(_mm256_set1_epi32(int(base)), lanes));
            return count + size_t(__builtin_popcount(m));
        }
#endif
#if defined(__SSE2__)
        if constexpr (std::is_same_v<Arch, xsimd::sse2>) {
            const unsigned m = unsigned(_mm_movemask_ps(above));
            const __m128i lanes = _mm_load_si128(reinterpret_cast<const __m128i*>(kSetLanes4[m]));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(fired + count),
                             _mm_add_epi32(_mm_set1_epi32(int(base)), lanes));
            return count + size_t(__builtin_popcount(m));
        }
#endif
        (void)above;
        alignas(64) float lane[W];
        v.store_aligned(lane);
        for (size_t l = 0; l < W; ++l) {  // branch-free compaction
            fired[count] = base + uint32_t(l);
            count += lane[l] > vth;
        }
        return count;
    }

    static void broadcast(float* out, const float* bias, size_t pixels, size_t channels) {
        for (size_t p = 0; p < pixels; ++p) {
            float* op = out + p * channels;
            size_t c = 0;
            for (; c + W <= channels; c += W) B::load_unaligned(bias + c).store_unaligned(op + c);
            for (; c < channels; ++c) op[c] = bias[c];
        }
    }

    // int8 rows are summed in int16 lanes and widened into the int32 sums
    // (no lane can overflow: kInt16Events). The lanes are generic vectors
    // of 16 (GCC's vector extension), held in registers; the widening loads
    // are the ISA's sign extensions where it has them. Integer sums are
    // exact, so the blocking changes no value. VNNI's dot products do not
    // apply: a spike's row is added, not multiplied.
    typedef int8_t I8x16 __attribute__((vector_size(16), aligned(1)));
    typedef int16_t I16x16 __attribute__((vector_size(32)));
    typedef int32_t I32x16 __attribute__((vector_size(64), aligned(4)));

    // acc += the 16 int8 values at p, sign-extended (by reference: a
    // 32-byte vector is not returned in registers on every ISA).
    static void add_i8(I16x16& acc, const int8_t* p) {
#if defined(__AVX2__)
        acc += I16x16(_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
#else
        acc += __builtin_convertvector(*reinterpret_cast<const I8x16*>(p), I16x16);
#endif
    }

    // out += acc, widened to int32.
    static void add_widened(int32_t* out, const I16x16& acc) {
#if defined(__AVX2__)
        const __m256i a = __m256i(acc);
        __m256i* o = reinterpret_cast<__m256i*>(out);
        const __m256i lo = _mm256_add_epi32(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(a)), _mm256_loadu_si256(o));
        const __m256i hi = _mm256_add_epi32(_mm256_cvtepi16_epi32(_mm256_extracti128_si256(a, 1)), _mm256_loadu_si256(o + 1));
        _mm256_storeu_si256(o, lo);
        _mm256_storeu_si256(o + 1, hi);
#else
        *reinterpret_cast<I32x16*>(out) += __builtin_convertvector(acc, I32x16);
#endif
    }

    // A linear layer's int8 rows, as accumulate_rows: kGroupI8 events at a
    // time, 32 columns at a time, the group's rows streamed side by side,
    // their sum formed in two int16 vectors and widened into out once per
    // group. prior.layers.2's 1.3 MB int8 matrix, from L3 here, took 0.73x
    // the time of the span kernel below (which goes a block of columns at a
    // time across every event); groups of 8 or 32 events, and 64 columns at
    // a time, were slower (microbenchmarks of the bundled model's shapes).
    static constexpr size_t kGroupI8 = 16;
    static_assert(kGroupI8 <= kInt16Events);
    static void accumulate_rows_i8(int32_t* out, const int8_t* rows, const uint32_t* active,
                                   size_t n_active, size_t row_len, size_t row_stride) {
        in_groups<kGroupI8>(active, n_active, [&]<size_t G>(const uint32_t* group) {
            add_group_i8<G>(out, rows, group, row_len, row_stride);
        });
    }

    template <size_t G>
    static void add_group_i8(int32_t* __restrict out, const int8_t* __restrict rows,
                             const uint32_t* active, size_t row_len, size_t row_stride) {
        const int8_t* r[G];
        for (size_t g = 0; g < G; ++g) r[g] = rows + size_t(active[g]) * row_stride;
        size_t j = 0;
        for (; j + 32 <= row_len; j += 32) {
            I16x16 lo = {}, hi = {};
            for (size_t g = 0; g < G; ++g) {
                add_i8(lo, r[g] + j);
                add_i8(hi, r[g] + j + 16);
            }
            add_widened(out + j, lo);
            add_widened(out + j + 16, hi);
        }
        if (j + 16 <= row_len) {
            I16x16 lo = {};
            for (size_t g = 0; g < G; ++g) add_i8(lo, r[g] + j);
            add_widened(out + j, lo);
            j += 16;
        }
        for (; j < row_len; ++j) {
            int32_t o = out[j];
            for (size_t g = 0; g < G; ++g) o += r[g][j];
            out[j] = o;
        }
    }

    // A transposed convolution's int8 spans (short, 5 to 40 events, rows in
    // L1 or L2), as add_row_sums: per block of N columns the events' rows
    // are summed in N int16 lanes, kInt16Events events at a time, then
    // widened into out; the block of the event kPrefetchI8 ahead is
    // requested while this one is added. For these spans the grouped
    // kernel above took 1.1-1.5x this one's time.
    static constexpr size_t kPrefetchI8 = 4;
    template <size_t N>
    static void add_block_i8(int32_t* __restrict out, const int8_t* __restrict rows,
                             const uint32_t* active, size_t n_active, size_t row_stride) {
        static_assert(N % 16 == 0);
        constexpr size_t V = N / 16;
        for (size_t a0 = 0; a0 < n_active; a0 += kInt16Events) {
            const size_t a1 = std::min(n_active, a0 + kInt16Events);
            I16x16 acc[V] = {};
            for (size_t a = a0; a < a1; ++a) {
                if (a + kPrefetchI8 < a1) __builtin_prefetch(rows + size_t(active[a + kPrefetchI8]) * row_stride);
                const int8_t* r = rows + size_t(active[a]) * row_stride;
                for (size_t v = 0; v < V; ++v) add_i8(acc[v], r + 16 * v);
            }
            for (size_t v = 0; v < V; ++v) add_widened(out + 16 * v, acc[v]);
        }
    }

    static void add_row_sums_i8(int32_t* out, const int8_t* rows, const uint32_t* active,
                                size_t n_active, size_t row_len, size_t row_stride) {
        size_t j = 0;
        for (; j + 64 <= row_len; j += 64) add_block_i8<64>(out + j, rows + j, active, n_active, row_stride);
        for (; j + 32 <= row_len; j += 32) add_block_i8<32>(out + j, rows + j, active, n_active, row_stride);
        for (; j + 16 <= row_len; j += 16) add_block_i8<16>(out + j, rows + j, active, n_active, row_stride);
        for (; j < row_len; ++j) {
            int32_t o = out[j];
            for (size_t a = 0; a < n_active; ++a) o += rows[size_t(active[a]) * row_stride + j];
            out[j] = o;
        }
    }

    static void scatter_rows_i8(int32_t* __restrict out, const int8_t* __restrict rows,
                                const uint32_t* dst, const uint32_t* src, const uint32_t* len,
                                size_t n) {
        for (size_t i = 0; i < n; ++i) {
            int32_t* __restrict o = out + dst[i];
            const int8_t* __restrict r = rows + src[i];
            const size_t row_len = len[i];
            for (size_t j = 0; j < row_len; ++j) o[j] += r[j];
        }
    }

    static void add_scaled_sums(float* u, int32_t* sum, const float* scale, size_t pixels,
                                size_t channels) {
        using BI = xsimd::batch<int32_t, Arch>;
        static_assert(BI::size == W);
        for (size_t p = 0; p < pixels; ++p) {
            float* up = u + p * channels;
            int32_t* sp = sum + p * channels;
            size_t c = 0;
            for (; c + W <= channels; c += W) {
                const B x = B::load_unaligned(scale + c) * xsimd::to_float(BI::load_unaligned(sp + c));
                (B::load_unaligned(up + c) + x).store_unaligned(up + c);
                BI(0).store_unaligned(sp + c);
            }
            for (; c < channels; ++c) {
                const float x = scale[c] * float(sp[c]);
                up[c] = up[c] + x;
                sp[c] = 0;
            }
        }
    }

    static const KernelTable& table(const char* isa) {
        static const KernelTable t{isa,        accumulate_rows, add_row_sums, accumulate_rows_scaled,
                                   scatter_rows, scatter_rows_scaled, decay_bias, fire,
                                   broadcast,  accumulate_rows_i8, add_row_sums_i8,
                                   scatter_rows_i8, add_scaled_sums};
        return t;
    }
};

}  // namespace fsvae::kernels::simd
