// Parity with the published model: the runtime, given the sampler choices the
// PyTorch reference made, must reproduce its latent train exactly, its spike
// counts per layer and step (up to membranes within float rounding of Vth,
// at most 0.1% of spikes), and its images to 1e-4 where the spikes match.
// Run on every kernel table the host supports, and in the dense mode, for the
// bundled FSVAE and for an FSVAELarge (64x64 RGB, latent 32) made at build time.
#include <doctest/doctest.h>

#include <cmath>

#include "golden.hpp"
#include "support.hpp"

using namespace fsvae;
using namespace fsvae::test;

namespace {

constexpr double kImageTolerance = 1e-4;
constexpr double kSpikeBudget = 1e-3;  // of all reference spikes

void check_parity(const std::shared_ptr<const Model>& model, const std::string& golden_file,
                  Mode mode) {
    const Golden g = load_golden(golden_file);
    const ModelInfo& I = model->info();
    REQUIRE(g.T == I.time_steps);
    REQUIRE(g.k == I.k);
    REQUIRE(g.C == I.latent_dim);
    REQUIRE(g.images.size() >= 2);
    REQUIRE(g.layers.size() == Engine(model).spiking_layers(mode).size());

    // Every kernel table in event-driven mode, and the dense baseline on the
    // best table (its results must be the same model's).
    const kernels::KernelTable* tables[8];
    const size_t n_tables = kernels::available_kernels(tables, 8);
    for (size_t run = 0; run <= n_tables; ++run) {
        const bool dense = run == n_tables;
        const kernels::KernelTable* table = dense ? tables[0] : tables[run];
        EngineOptions options;
        options.dense = dense;
        Engine engine(model, table, options);
        Workspace ws(engine);
        size_t diff = 0, total = 0, exact_images = 0;
        double largest = 0;  // pixel difference over the images whose spikes match
        for (size_t i = 0; i < g.images.size(); ++i) {
            const GoldenImage& gi = g.images[i];
            INFO(golden_file, " image ", i, " kernels ", std::string(table->isa),
                 dense ? " dense" : "");
            ChoiceSource choices(0, i, I.k, I.latent_dim, gi.choices.data());
            std::vector<float> out(I.image_size());
            ImageTrace trace;
            if (mode == Mode::Generate) {
                ws.generate(choices, out.data(), &trace);
            } else {
                REQUIRE(gi.input.size() == I.image_size());
                ws.reconstruct(gi.input.data(), choices, out.data(), &trace);
            }
            REQUIRE(trace.z == gi.z);  // the latent train, exactly

            const SpikeComparison c = compare_spikes(*model, g, gi, trace);
            INFO("first mismatch: ", c.first_mismatch);
            CHECK(c.first_mismatch_near_threshold);
            diff += c.spike_difference;
            total += c.total_spikes;
            if (c.mismatched_cells == 0) {
                ++exact_images;
                double worst = 0;
                for (size_t p = 0; p < out.size(); ++p)
                    worst = std::max(worst, std::abs(double(out[p]) - double(gi.image[p])));
                CHECK(worst <= kImageTolerance);
                largest = std::max(largest, worst);
            } else {
                MESSAGE(golden_file, " image ", i, ": ", c.mismatched_cells,
                        " (layer, step) counts differ after a membrane within rounding of Vth (",
                        c.first_mismatch, "); ", c.spike_difference, " of ", c.total_spikes,
                        " spikes");
            }
        }
        CHECK(double(diff) <= kSpikeBudget * double(total));
        CHECK(exact_images >= 1);  // the image tolerance was exercised
        MESSAGE(golden_file, ", kernels ", std::string(table->isa),
                std::string(dense ? " dense" : ""),
                ": ", exact_images, " of ", g.images.size(),
                " images with every spike count equal; largest pixel difference ", largest);
    }
}

}  // namespace

TEST_CASE("parity: generation matches the PyTorch reference on the real checkpoint") {
    check_parity(bundled_model(), source_path("tests/golden/generate.json"), Mode::Generate);
}

TEST_CASE("parity: reconstruction matches the PyTorch reference on the real checkpoint") {
    check_parity(bundled_model(), source_path("tests/golden/reconstruct.json"), Mode::Reconstruct);
}

TEST_CASE("parity: FSVAELarge generation matches the PyTorch reference (64x64 RGB)") {
    REQUIRE(large_model()->info().variant == Variant::FSVAELarge);
    REQUIRE(large_model()->info().image_channels == 3);
    check_parity(large_model(), large_path("generate.json"), Mode::Generate);
}

TEST_CASE("parity: FSVAELarge reconstruction matches the PyTorch reference (64x64 RGB)") {
    check_parity(large_model(), large_path("reconstruct.json"), Mode::Reconstruct);
}

// The FSVAELarge golden vectors were sampled with tools/reference/philox.py's
// choices for (seed, image index): the runtime's own draws must be the same,
// value for value.
TEST_CASE("sampler: seeded draws equal the choices tools/reference/philox.py computes") {
    for (const char* file : {"generate.json", "reconstruct.json"}) {
        const Golden g = load_golden(large_path(file));
        REQUIRE(g.choice_source == "runtime");
        std::vector<uint32_t> r(g.C);
        size_t compared = 0;
        for (const GoldenImage& gi : g.images) {
            const ChoiceSource drawn(gi.seed, gi.index, g.k, g.C);
            for (uint32_t t = 0; t < g.T; ++t) {
                drawn.choices(t, r.data());
                for (uint32_t c = 0; c < g.C; ++c) {
                    INFO(std::string(file), " seed ", gi.seed, " image ", gi.index, " step ", t,
                         " latent ", c);
                    REQUIRE(r[c] == gi.choices[size_t(t) * g.C + c]);
                    ++compared;
                }
            }
        }
        CHECK(compared == g.images.size() * g.T * g.C);
    }
}
