// dense_baseline.cpp: see dense_baseline.hpp.
#include "dense_baseline.hpp"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "../runtime/sampler.hpp"

// The element-wise loops compiled for the widest vectors the CPU has,
// picked at load.
#if defined(__x86_64__)
#define FSVAE_WIDEST __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FSVAE_WIDEST
#endif

namespace fsvae::dense {
namespace {

using Clock = std::chrono::steady_clock;

// C (m x n, row stride n) = A (m x k, row stride lda) @ B (k x n, row stride n).
// One row goes through sgemv: OpenBLAS 0.3.21's sgemm packs all of B for
// it, which took 1.3-5x the time of sgemv on the prior's layers.
void sgemm(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, float* c,
           GemmStats* stats) {
    const Clock::time_point t0 = stats ? Clock::now() : Clock::time_point{};
    if (m == 1)
        cblas_sgemv(CblasRowMajor, CblasTrans, int(k), int(n), 1.0f, b, int(n), a, 1, 0.0f, c, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.0f, a,
                    int(lda), b, int(n), 0.0f, c, int(n));
    if (stats) {
        stats->seconds += std::chrono::duration<double>(Clock::now() - t0).count();
        stats->flops += 2.0 * double(m) * double(n) * double(k);
        ++stats->calls;
    }
}

struct Fired {
    uint32_t spikes = 0, near = 0;
};

// One LIF step of n neurons (pixels x channels, channel-last) on their
// currents x, in place: u = tau * u + bias + x (the runtime's order: leak and
// bias, then the inputs), x = 1 where u > vth and u reset to 0, else x = 0.
template <bool kCount>
[[gnu::always_inline]] inline Fired lif_body(float* x, float* u, size_t n, const float* bias,
                                             size_t channels, float tau, float vth) {
    Fired f;
    for (size_t p = 0; p < n; p += channels)
        for (size_t c = 0; c < channels; ++c) {
            const float v = (tau * u[p + c] + bias[c]) + x[p + c];
            const bool fire = v > vth;
            if constexpr (kCount) {
                f.spikes += fire;
                f.near += std::abs(v - vth) <= kNearThreshold;
            }
            x[p + c] = fire ? 1.0f : 0.0f;
            u[p + c] = fire ? 0.0f : v;
        }
    return f;
}

FSVAE_WIDEST Fired lif_counting(float* x, float* u, size_t n, const float* bias, size_t channels,
                                float tau, float vth) {
    return lif_body<true>(x, u, n, bias, channels, tau, vth);
}

FSVAE_WIDEST Fired lif_plain(float* x, float* u, size_t n, const float* bias, size_t channels,
                             float tau, float vth) {
    return lif_body<false>(x, u, n, bias, channels, tau, vth);
}

Fired lif(float* x, float* u, size_t n, const float* bias, size_t channels, float tau, float vth,
          bool count) {
    return count ? lif_counting(x, u, n, bias, channels, tau, vth)
                 : lif_plain(x, u, n, bias, channels, tau, vth);
}

template <class V>
void grow(V& v, size_t n) {
    if (v.size() < n) v.resize(n);
}

}  // namespace

Col2Im col2im_gather(const LayerSpec& s) {
    Col2Im c;
    if (s.kind != LayerKind::ConvTranspose) return c;
    const int K = int(s.kernel), S = int(s.stride), P = int(s.padding);
    const int Hin = int(s.in.h), Win = int(s.in.w);
    const uint32_t C = s.out.c, taps = s.kernel * s.kernel * C;
    // Input (iy, ix) adds tap (ky, kx) to output (S*iy - P + ky, S*ix - P + kx):
    // output (oy, ox) takes the taps with iy = (oy + P - ky) / S exact and in
    // the map (likewise x). ky descending gives increasing iy.
    c.start.push_back(0);
    for (int oy = 0; oy < int(s.out.h); ++oy)
        for (int ox = 0; ox < int(s.out.w); ++ox) {
            for (int ky = K - 1; ky >= 0; --ky) {
                const int ny = oy + P - ky;
                if (ny < 0 || ny % S || ny / S >= Hin) continue;
                for (int kx = K - 1; kx >= 0; --kx) {
                    const int nx = ox + P - kx;
                    if (nx < 0 || nx % S || nx / S >= Win) continue;
                    const uint32_t p = uint32_t((ny / S) * Win + nx / S);
                    c.src.push_back(p * taps + uint32_t(ky * K + kx) * C);
                }
            }
            c.start.push_back(uint32_t(c.src.size()));
        }
    return c;
}

void linear_gemm(const Layer& L, const float* in, size_t rows, size_t in_stride, float* out,
                 GemmStats* stats) {
    sgemm(rows, L.spec.out.size(), L.spec.in.size(), in, in_stride, L.weight, out, stats);
}

namespace {

// out[q * C + c] = sum over the taps j of q: cols[src[j] + c], per map, in
// tap order. Sixteen channels at a time are summed in registers and stored
// once (every FSVAE map has a multiple of 16 channels, but the image's).
FSVAE_WIDEST void gather_taps(const Col2Im& g, size_t outputs, size_t C,
                              const float* __restrict cols, float* __restrict out) {
    // A GCC vector of 16 floats: one zmm register, two ymm or four xmm ones.
    typedef float V16 __attribute__((vector_size(64)));
    constexpr size_t V = 16;
    const size_t blocked = C - C % V;
    for (size_t q = 0; q < outputs; ++q) {
        float* o = out + q * C;
        const uint32_t* first = g.src.data() + g.start[q];
        const uint32_t* end = g.src.data() + g.start[q + 1];
        for (size_t c0 = 0; c0 < blocked; c0 += V) {
            V16 acc, t;
            std::memcpy(&acc, cols + *first + c0, sizeof acc);
            for (const uint32_t* j = first + 1; j < end; ++j) {
                std::memcpy(&t, cols + *j + c0, sizeof t);
                acc += t;
            }
            std::memcpy(o + c0, &acc, sizeof acc);
        }
        for (size_t c = blocked; c < C; ++c) {
            float acc = cols[*first + c];
            for (const uint32_t* j = first + 1; j < end; ++j) acc += cols[*j + c];
            o[c] = acc;
        }
    }
}

}  // namespace

void conv_transpose_gemm(const Layer& L, const Col2Im& col2im, const float* in, size_t rows,
                         float* cols, float* out, GemmStats* stats) {
    const LayerSpec& s = L.spec;
    const size_t pixels = size_t(s.in.h) * s.in.w;
    const size_t taps = size_t(s.kernel) * s.kernel * s.out.c;
    // Every input pixel of every map is a GEMM row: (rows * pixels) x cin.
    sgemm(rows * pixels, taps, s.in.c, in, s.in.c, L.weight, cols, stats);
    const size_t outputs = size_t(s.out.h) * s.out.w;
    for (size_t r = 0; r < rows; ++r)
        gather_taps(col2im, outputs, s.out.c, cols + r * pixels * taps, out + r * s.out.size());
}

DenseGenerator::DenseGenerator(std::shared_ptr<const Model> model, size_t decoder_images)
    : model_(std::move(model)),
      decoder_images_(std::max<size_t>(decoder_images, 1)) {
    openblas_set_num_threads(1);
    const ModelInfo& I = model_->info();
    const Topology& T = model_->topology();
    col2im_.resize(model_->layers().size());
    decoder_convs_.assign(T.decoder.begin(), T.decoder.end());
    decoder_convs_.push_back(T.final0);
    decoder_convs_.push_back(T.final1);
    std::vector<size_t> decoder = decoder_convs_;
    decoder.push_back(T.decoder_input);
    const size_t rows = decoder_images_ * I.time_steps;
    size_t maps = 0, cols = 0, neurons = 0;
    for (size_t li : decoder) {
        const LayerSpec& s = model_->layer(li).spec;
        col2im_[li] = col2im_gather(s);
        maps = std::max(maps, s.out.size());
        neurons = std::max(neurons, s.out.size());
        if (s.kind == LayerKind::ConvTranspose)
            cols = std::max(cols, std::min(block_rows(s), rows) * s.in.h * s.in.w * s.kernel *
                                      s.kernel * s.out.c);
    }
    map_a_.resize(rows * maps);
    map_b_.resize(rows * maps);
    cols_.resize(cols);
    u_.resize(neurons);
    acc_.resize(I.image_size());
    r_.resize(I.latent_dim);
}

void DenseGenerator::prior(uint64_t seed, uint64_t first_index, size_t n,
                           std::vector<DenseTrace>* traces) {
    const ModelInfo& I = model_->info();
    const Topology& T = model_->topology();
    const size_t C = I.latent_dim, steps = I.time_steps;
    grow(z_, n * steps * C);
    for (int l = 0; l < 3; ++l) {
        const size_t out = model_->layer(T.prior[l]).spec.out.size();
        grow(prior_x_[l], n * out);
        prior_u_[l].assign(n * out, 0.0f);
    }
    zero_.assign(n * C, 0.0f);  // z_{-1}
    for (uint32_t t = 0; t < steps; ++t) {
        // z_{t-1} of every image: row i of the (i, t) rows of z_, or zeros.
        const float* in = t ? z_.data() + (t - 1) * C : zero_.data();
        size_t in_stride = t ? steps * C : C;
        for (int l = 0; l < 3; ++l) {
            const Layer& L = model_->layer(T.prior[l]);
            const size_t out = L.spec.out.size();
            float* x = prior_x_[l].data();
            linear_gemm(L, in, n, in_stride, x, &gemm_);
            for (size_t i = 0; i < n; ++i) {
                const Fired f = lif(x + i * out, prior_u_[l].data() + i * out, out, L.bias, out,
                                    I.tau, I.vth, traces != nullptr);
                if (traces) {
                    (*traces)[i].spikes[T.prior[l] * steps + t] = f.spikes;
                    (*traces)[i].near[T.prior[l] * steps + t] = f.near;
                }
            }
            in = x;
            in_stride = out;
        }
        // The sampler: z_t[c] = out_t[c*k + r], r from the runtime's ChoiceSource.
        for (size_t i = 0; i < n; ++i) {
            ChoiceSource(seed, first_index + i, I.k, I.latent_dim).choices(t, r_.data());
            const float* s = prior_x_[2].data() + i * C * I.k;
            float* z = z_.data() + (i * steps + t) * C;
            for (size_t c = 0; c < C; ++c) z[c] = s[c * I.k + r_[c]];
            if (traces)
                for (size_t c = 0; c < C; ++c) (*traces)[i].z[t * C + c] = uint8_t(z[c]);
        }
    }
}

size_t DenseGenerator::block_rows(const LayerSpec& s) {
    const size_t bytes = size_t(s.in.h) * s.in.w * s.kernel * s.kernel * s.out.c * sizeof(float);
    return std::max<size_t>(1, kColsBytes / bytes);
}

void DenseGenerator::fire_rows(size_t li, size_t first, size_t r0, size_t n, float* x,
                               std::vector<DenseTrace>* traces) {
    const ModelInfo& I = model_->info();
    const Layer& L = model_->layer(li);
    const size_t neurons = L.spec.out.size(), steps = I.time_steps;
    for (size_t r = r0; r < r0 + n; ++r) {
        const size_t i = r / steps, t = r % steps;
        if (t == 0) std::fill(u_.begin(), u_.begin() + long(neurons), 0.0f);
        const Fired f = lif(x + r * neurons, u_.data(), neurons, L.bias, L.spec.bias_size(), I.tau,
                            I.vth, traces != nullptr);
        if (traces) {
            (*traces)[first + i].spikes[li * steps + t] = f.spikes;
            (*traces)[first + i].near[li * steps + t] = f.near;
        }
    }
}

void DenseGenerator::readout_rows(size_t r0, size_t n, const float* m, float* out) {
    const ModelInfo& I = model_->info();
    const Layer& F = model_->layer(model_->topology().final1);
    const size_t HW = size_t(I.image_height) * I.image_width, C = I.image_channels;
    const size_t steps = I.time_steps;
    for (size_t r = r0; r < r0 + n; ++r) {
        const size_t i = r / steps, t = r % steps;
        if (t == 0) std::fill(acc_.begin(), acc_.end(), 0.0f);
        const float* row = m + r * HW * C;
        for (size_t p = 0; p < HW; ++p)
            for (size_t c = 0; c < C; ++c)
                acc_[p * C + c] = I.readout_decay * acc_[p * C + c] + (row[p * C + c] + F.bias[c]);
        if (t + 1 < steps) continue;
        float* o = out + i * I.image_size();
        for (size_t p = 0; p < HW; ++p)
            for (size_t c = 0; c < C; ++c) o[c * HW + p] = std::tanh(acc_[p * C + c]);
    }
}

void DenseGenerator::decode(size_t first, size_t n, float* out, std::vector<DenseTrace>* traces) {
    const ModelInfo& I = model_->info();
    const Topology& T = model_->topology();
    const size_t rows = n * I.time_steps;
    float* a = map_a_.data();
    float* b = map_b_.data();
    const Layer& D = model_->layer(T.decoder_input);
    linear_gemm(D, z_.data() + first * I.time_steps * I.latent_dim, rows, I.latent_dim, a, &gemm_);
    fire_rows(T.decoder_input, first, 0, rows, a, traces);
    // Each transposed convolution in blocks of rows whose GEMM output stays
    // in L2 for the col2im, and whose map stays there for the LIF (rows are
    // (image, step) in order, so the membranes run along T).
    for (size_t li : decoder_convs_) {
        const Layer& L = model_->layer(li);
        const size_t block = block_rows(L.spec);
        for (size_t r = 0; r < rows; r += block) {
            const size_t nb = std::min(block, rows - r);
            conv_transpose_gemm(L, col2im_[li], a + r * L.spec.in.size(), nb, cols_.data(),
                                b + r * L.spec.out.size(), &gemm_);
            if (li == T.final1)
                readout_rows(r, nb, b, out + first * I.image_size());
            else
                fire_rows(li, first, r, nb, b, traces);
        }
        std::swap(a, b);
    }
}

void DenseGenerator::generate(uint64_t seed, uint64_t first_index, size_t count, float* out,
                              std::vector<DenseTrace>* traces) {
    const ModelInfo& I = model_->info();
    if (traces) {
        traces->assign(count, DenseTrace{});
        for (DenseTrace& d : *traces) {
            d.spikes.assign(model_->layers().size() * I.time_steps, 0);
            d.near.assign(d.spikes.size(), 0);
            d.z.assign(size_t(I.time_steps) * I.latent_dim, 0);
        }
    }
    prior(seed, first_index, count, traces);
    for (size_t first = 0; first < count; first += decoder_images_)
        decode(first, std::min(decoder_images_, count - first), out, traces);
}

const char* DenseGenerator::blas_core() { return openblas_get_corename(); }
const char* DenseGenerator::blas_config() { return openblas_get_config(); }

}  // namespace fsvae::dense
