// The dense GEMM baseline of `fsvae bench` must compute the runtime's model:
// each GEMM layer against the runtime's event propagation of the same spikes,
// and whole generated images against the runtime's (same seed and index):
// the latent trains exactly, the spike counts per layer and step exactly up
// to a membrane within float rounding of Vth, and the images to a tolerance.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "../runtime/engine.hpp"
#include "../runtime/propagate.hpp"
#include "../tools/dense_baseline.hpp"
#include "support.hpp"

using namespace fsvae;
using namespace fsvae::test;

namespace {

// A GEMM sums a layer's inputs in another order than the event lists.
// Measured on the bundled model (OpenBLAS 0.3.21, Haswell and Cooperlake
// kernels): layer currents differ by at most 2.5e-7 relative to the sum of
// the magnitudes added; images by at most 1.4e-6 (1.8e-6 over 32 images),
// every spike count equal.
constexpr double kCurrentTolerance = 2e-6;  // relative to sum |w| over the active inputs
constexpr double kImageTolerance = 1e-5;

// Runtime's current for one input map of layer L: propagate_events into zeros.
std::vector<float> event_current(const Layer& L, const kernels::KernelTable& K,
                                 const std::vector<uint32_t>& events) {
    const LayerSpec& s = L.spec;
    std::vector<float> target(s.out.size(), 0.0f);
    std::vector<uint32_t> dst(max_pairs(s, false) + 1), src(dst.size()), len(dst.size()), chan(s.in.c);
    std::vector<float> scale(dst.size());
    const PairScratch sc{dst.data(), src.data(), len.data(), scale.data(), chan.data()};
    propagate_events(L, K, events.data(), events.size(), target.data(), sc);
    return target;
}

// The same with |w| for every weight: the scale of a current's rounding.
std::vector<float> magnitude(const Layer& L, const kernels::KernelTable& K,
                             const std::vector<uint32_t>& events) {
    std::vector<float> w(L.spec.weight_size());
    for (size_t i = 0; i < w.size(); ++i) w[i] = std::abs(L.weight[i]);
    Layer A = L;
    A.weight = w.data();
    return event_current(A, K, events);
}

}  // namespace

TEST_CASE("dense baseline: every decoder layer's GEMM equals the event propagation") {
    auto model = bundled_model();
    const kernels::KernelTable& K = kernels::select_kernels();
    const Topology& T = model->topology();
    std::vector<size_t> layers = {T.decoder_input};
    layers.insert(layers.end(), T.decoder.begin(), T.decoder.end());
    layers.push_back(T.final0);
    layers.push_back(T.final1);
    std::mt19937 rng(5);
    double worst = 0;
    for (size_t li : layers) {
        const Layer& L = model->layer(li);
        const LayerSpec& s = L.spec;
        INFO(s.name);
        // Three input maps at rates 0.1, 0.3 and 0.6, as one GEMM of 3 rows.
        const size_t rows = 3;
        const double rates[rows] = {0.1, 0.3, 0.6};
        std::vector<float> in(rows * s.in.size(), 0.0f);
        std::vector<std::vector<uint32_t>> events(rows);
        for (size_t r = 0; r < rows; ++r) {
            std::bernoulli_distribution fire(rates[r]);
            for (uint32_t i = 0; i < s.in.size(); ++i)
                if (fire(rng)) {
                    events[r].push_back(i);
                    in[r * s.in.size() + i] = 1.0f;
                }
        }
        std::vector<float> out(rows * s.out.size(), -1.0f);
        if (s.kind == LayerKind::Linear) {
            dense::linear_gemm(L, in.data(), rows, s.in.size(), out.data(), nullptr);
        } else {
            const dense::Col2Im col2im = dense::col2im_gather(s);
            std::vector<float> cols(rows * s.in.h * s.in.w * s.kernel * s.kernel * s.out.c);
            dense::conv_transpose_gemm(L, col2im, in.data(), rows, cols.data(), out.data(), nullptr);
        }
        for (size_t r = 0; r < rows; ++r) {
            const std::vector<float> want = event_current(L, K, events[r]);
            const std::vector<float> mag = magnitude(L, K, events[r]);
            size_t bad = 0;
            for (size_t j = 0; j < want.size(); ++j) {
                const double d = std::abs(double(out[r * s.out.size() + j]) - want[j]);
                const double rel = d / std::max(double(mag[j]), 1e-30);
                worst = std::max(worst, rel);
                bad += rel > kCurrentTolerance;
            }
            CHECK(bad == 0);
        }
    }
    MESSAGE("largest current difference, relative to sum |w|: ", worst);
}

TEST_CASE("dense baseline: same latents, spikes and images as the runtime") {
    auto model = bundled_model();
    const ModelInfo& I = model->info();
    const Engine engine(model);
    const size_t count = 4;
    const uint64_t seed = 1;
    BatchOptions o;
    o.seed = seed;
    o.count = count;
    o.threads = 1;
    std::vector<float> want(count * I.image_size());
    std::vector<ImageTrace> want_traces;
    generate_batch(engine, o, want.data(), &want_traces);

    const std::vector<size_t> order = engine.spiking_layers(Mode::Generate);
    double largest = 0;
    size_t exact_images = 0;
    // The decoder one image at a time and all four at once; the prior
    // stepping the four together and one alone (its GEMMs then have M = 1).
    struct Run {
        size_t decoder_images, batch;
    };
    for (const Run run : {Run{1, count}, Run{count, count}, Run{1, 1}}) {
        INFO("decoder images ", run.decoder_images, ", batch ", run.batch);
        dense::DenseGenerator gen(model, run.decoder_images);
        std::vector<float> got(count * I.image_size());
        std::vector<dense::DenseTrace> traces;
        for (size_t first = 0; first < count; first += run.batch) {
            std::vector<dense::DenseTrace> part;
            gen.generate(seed, first, run.batch, got.data() + first * I.image_size(), &part);
            traces.insert(traces.end(), part.begin(), part.end());
        }
        REQUIRE(traces.size() == count);
        CHECK(gen.gemm_stats().calls > 0);
        for (size_t i = 0; i < count; ++i) {
            INFO("image ", i);
            const dense::DenseTrace& d = traces[i];
            const ImageTrace& r = want_traces[i];
            CHECK(d.z == r.z);  // the latent train, exactly
            REQUIRE(d.spikes.size() == r.spikes.size());
            REQUIRE(d.near.size() == r.spikes.size());
            // Dataflow order: step by step, layer by layer. A count may differ
            // only from a cell with a membrane near Vth onwards.
            size_t mismatched = 0, spikes = 0;
            for (uint32_t t = 0; t < I.time_steps; ++t)
                for (size_t li : order) {
                    const size_t c = li * I.time_steps + t;
                    spikes += r.spikes[c];
                    if (d.spikes[c] == r.spikes[c]) continue;
                    if (mismatched++ == 0) {
                        INFO(model->layer(li).spec.name, " step ", t, ": dense ", d.spikes[c],
                             ", runtime ", r.spikes[c]);
                        CHECK(d.near[c] > 0);
                    }
                }
            CHECK(spikes > 0);
            if (mismatched) {
                MESSAGE("image ", i, ": ", mismatched, " (layer, step) counts differ after a "
                        "membrane within rounding of Vth");
                continue;
            }
            ++exact_images;
            double worst = 0;
            for (size_t p = 0; p < I.image_size(); ++p)
                worst = std::max(worst, std::abs(double(got[i * I.image_size() + p]) -
                                                 double(want[i * I.image_size() + p])));
            CHECK(worst <= kImageTolerance);
            largest = std::max(largest, worst);
        }
    }
    CHECK(exact_images >= 1);  // the image tolerance was exercised
    MESSAGE("largest pixel difference where spikes match: ", largest);
}
