// dense_baseline.hpp: generation computed densely, as the fastest dense
// implementation of the same model that we can run, for `fsvae bench` to
// measure the event-driven runtime against. Every layer is a single-precision
// GEMM through OpenBLAS on one thread, over as many rows as the dataflow
// allows:
//
//   - the prior feeds itself through z_{t-1}, so it steps: per step one GEMM
//     per prior layer over the batch (M = images), LIF, then the runtime's
//     sampler (ChoiceSource, same seed and index: the same latents);
//   - once z is known for every step, the decoder runs layer by layer over all
//     images x T rows of a group at once: decoder_input one GEMM; a transposed
//     convolution one GEMM (input pixels x cin) @ (cin x K*K*cout) and a
//     col2im summing the K*K taps into the output map; then bias and
//     LIF along T for every neuron; final_layer.1 (no LIF) the same way, and
//     the readout tanh(sum_t d^(T-1-t) m_t).
//
// Same weights and layouts as the runtime (model.hpp: linear [in][out],
// convolutions [cin][ky][kx][cout], maps channel-last). A GEMM sums in its
// own order, so a membrane within float rounding of Vth may fire on one side
// and not the other; otherwise the spikes are the runtime's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "../runtime/model.hpp"

namespace fsvae::dense {

// The col2im of a transposed convolution, as a gather: input pixel p's GEMM
// row holds its K*K*cout tap values, and output pixel q is the sum of the
// taps that reach it, src[start[q]] .. src[start[q + 1] - 1] (offsets of
// cout-vectors in one map's GEMM rows, in input pixel order). Each output is
// written once, with no zeroing and no read-modify-write of the map.
struct Col2Im {
    std::vector<uint32_t> start, src;
};
Col2Im col2im_gather(const LayerSpec& s);

// Time and floating-point work spent inside sgemm.
struct GemmStats {
    double seconds = 0;
    double flops = 0;  // 2 * M * N * K per call
    uint64_t calls = 0;
};

// out (rows x out.size()) = in (rows x in.size()) @ W, no bias: a linear layer.
void linear_gemm(const Layer& L, const float* in, size_t rows, size_t in_stride, float* out,
                 GemmStats* stats);

// out (rows x out.size(), overwritten) = the transposed convolution of each of
// the `rows` input maps (rows x in.size(), channel-last), no bias.
// cols: rows * in.h * in.w * K * K * out.c floats of scratch.
void conv_transpose_gemm(const Layer& L, const Col2Im& col2im, const float* in, size_t rows,
                         float* cols, float* out, GemmStats* stats);

// Membranes within this distance of Vth are counted as near it: float
// rounding of a sum in another order can move them across.
constexpr float kNearThreshold = 1e-5f;

// What one image did in the dense baseline, indexed like ImageTrace.
struct DenseTrace {
    std::vector<uint32_t> spikes;  // [layer * T + t]
    std::vector<uint32_t> near;    // [layer * T + t]: membranes within kNearThreshold of Vth
    std::vector<uint8_t> z;        // [t * C + c]
};

class DenseGenerator {
public:
    // Sets OpenBLAS to one thread. decoder_images: images whose T steps the
    // decoder runs through each layer at once (its maps grow with it). One
    // measured the fastest: with all 64 of a batch at once, the 134 MB maps
    // of the last layers leave the caches between one layer and the next.
    explicit DenseGenerator(std::shared_ptr<const Model> model, size_t decoder_images = 1);

    // Generates images first_index .. first_index + count - 1 of `seed` into
    // out (count x C x H x W), the prior stepping all `count` at once.
    void generate(uint64_t seed, uint64_t first_index, size_t count, float* out,
                  std::vector<DenseTrace>* traces = nullptr);

    const GemmStats& gemm_stats() const { return gemm_; }
    void clear_stats() { gemm_ = {}; }

    // OpenBLAS's name for the kernels it picked (its core type) and its
    // build configuration.
    static const char* blas_core();
    static const char* blas_config();

private:
    void prior(uint64_t seed, uint64_t first_index, size_t count, std::vector<DenseTrace>* traces);
    void decode(size_t first, size_t n, float* out, std::vector<DenseTrace>* traces);
    // Bias and LIF of layer li on rows r0 .. r0 + n - 1 of x ((image, step)
    // rows of the images from `first`), membranes reset at each image's step 0.
    void fire_rows(size_t li, size_t first, size_t r0, size_t n, float* x,
                   std::vector<DenseTrace>* traces);
    // The readout of the image layer's currents m on rows r0 .. r0 + n - 1;
    // an image's last step writes it to out.
    void readout_rows(size_t r0, size_t n, const float* m, float* out);
    // Rows per block of a transposed convolution: its GEMM output (the
    // col2im input) within kColsBytes, in L2.
    static constexpr size_t kColsBytes = 512 * 1024;
    static size_t block_rows(const LayerSpec& s);

    std::shared_ptr<const Model> model_;
    size_t decoder_images_;
    std::vector<Col2Im> col2im_;   // per model layer (transposed convolutions only)
    std::vector<size_t> decoder_convs_;  // the transposed convolutions, in order
    std::vector<float> z_;         // count x T x C: the latent trains as 0/1
    std::vector<float> prior_x_[3], prior_u_[3];
    std::vector<float> zero_;      // z_{-1} of every image
    std::vector<uint32_t> r_;
    std::vector<float> map_a_, map_b_, cols_, u_, acc_;
    GemmStats gemm_;
};

}  // namespace fsvae::dense
