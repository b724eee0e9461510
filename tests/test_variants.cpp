// ESVAE and TAID (docs/models.md): the schema's kinds, version-1 files, the
// rate sampler's draws, parity with the PyTorch reference on test models
// built at test time (tools/reference/make_variant_models.py, into the
// directory FSVAE_VARIANT_DIR names), and determinism.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "../runtime/error.hpp"
#include "fsvae_generated.h"
#include "golden.hpp"
#include "support.hpp"

using namespace fsvae;
using namespace fsvae::test;

namespace {

// The largest pixel difference measured over every kernel table and the
// dense mode, with every spike count equal, was 3.8e-7 (ESVAE) and 2.4e-7
// (TAID); FSVAE's bound, 1e-4, leaves a margin of over 250x.
constexpr double kImageTolerance = 1e-4;
constexpr double kSpikeBudget = 1e-3;  // of all reference spikes

// The directory of the test models, or "" (then the case reports SKIPPED,
// unless FSVAE_REQUIRE_VARIANTS is set: the run that builds them first).
std::string variant_dir() {
    const char* d = std::getenv("FSVAE_VARIANT_DIR");
    const bool required = std::getenv("FSVAE_REQUIRE_VARIANTS") != nullptr;
    if (d && std::filesystem::exists(std::string(d) + "/taid.fsvae")) return d;
    if (required) FAIL("FSVAE_VARIANT_DIR does not hold the test models: ", (d ? d : "(unset)"));
    MESSAGE("SKIPPED: the ESVAE and TAID test models are built by the ctest fixture variants.models");
    return "";
}

std::vector<float> floats_of(const nlohmann::json& j, const char* key) {
    return j.at(key).get<std::vector<float>>();
}

void check_parity(const std::string& dir, const std::string& name, Mode mode) {
    auto model = Model::load_file(dir + "/" + name + ".fsvae");
    const ModelInfo& I = model->info();
    const std::string golden_file =
        dir + "/" + name + (mode == Mode::Generate ? "_generate.json" : "_reconstruct.json");
    const Golden g = load_golden(golden_file);
    nlohmann::json raw;
    std::ifstream(golden_file) >> raw;
    REQUIRE(g.T == I.time_steps);
    REQUIRE(g.C == I.latent_dim);
    REQUIRE(raw.at("sampler").get<std::string>() == sampler_kind_name(I.sampler));
    REQUIRE(raw.at("readout").get<std::string>() == readout_kind_name(I.readout));
    REQUIRE(g.layers.size() == Engine(model).spiking_layers(mode).size());
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
        double largest = 0;
        for (size_t i = 0; i < g.images.size(); ++i) {
            const GoldenImage& gi = g.images[i];
            INFO(golden_file, " image ", i, " kernels ", table->isa, (dense ? " dense" : ""));
            ChoiceSource choices(0, i, I.k, I.latent_dim, gi.choices);
            std::vector<float> gauss, unif;
            if (I.sampler == SamplerKind::EsvaeRate) {
                gauss = floats_of(raw.at("images")[i], "gaussian");
                unif = floats_of(raw.at("images")[i], "uniform");
                REQUIRE(gauss.size() == I.latent_dim);
                REQUIRE(unif.size() == size_t(I.time_steps) * I.latent_dim);
                choices.inject_rate_draws(gauss.data(), unif.data());
            }
            std::vector<float> out(I.image_size());
            ImageTrace trace;
            if (mode == Mode::Generate)
                ws.generate(choices, out.data(), &trace);
            else
                ws.reconstruct(gi.input.data(), choices, out.data(), &trace);
            REQUIRE(trace.z == gi.z);
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
            }
        }
        CHECK(total > 0);
        CHECK(double(diff) <= kSpikeBudget * double(total));
        CHECK(exact_images >= 1);
        const std::string what = name + (mode == Mode::Generate ? " generate" : " reconstruct");
        const std::string isa = std::string(table->isa) + (dense ? " dense" : "");
        MESSAGE(what, ", kernels ", isa, ": ", exact_images, " of ",
                g.images.size(), " images with every spike count equal; largest pixel difference ",
                largest);
    }
}

std::vector<float> test_inputs(size_t n, size_t size) {
    std::vector<float> v(n * size);
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(std::sin(0.37 * double(i)) * 0.9);
    return v;
}

}  // namespace

TEST_CASE("variants: a version-1 file loads as an FSVAE with FSVAE's kinds") {
    auto m = Model::load_file(source_path("samples/fashion-mnist.fsvae"));
    CHECK(m->info().schema_version == 1);
    CHECK(m->info().sampler == SamplerKind::FsvaeAutoregressive);
    CHECK(m->info().readout == ReadoutKind::MembraneDecay);
    CHECK(m->topology().sample_layer == Topology::kNone);
    CHECK(m->topology().readout_gate == Topology::kNone);
    CHECK(std::string(sampler_kind_name(m->info().sampler)) == "fsvae_autoregressive");
    CHECK(std::string(readout_kind_name(m->info().readout)) == "membrane_decay");
}

TEST_CASE("variants: a kind the runtime does not know, or one in a version-1 file, is refused") {
    const std::string dir = variant_dir();
    if (dir.empty()) return;
    namespace fb = fsvae::format;
    auto error_of = [](std::vector<uint8_t> bytes, auto&& edit) {
        // The fields are present (not defaults) in these files, so they can
        // be overwritten in place.
        auto* table = reinterpret_cast<flatbuffers::Table*>(
            const_cast<fb::Model*>(fb::GetModel(bytes.data())));
        edit(*table);
        try {
            Model::from_buffer(bytes.data(), bytes.size(), "edited.fsvae");
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("(loaded)");
    };
    const auto esvae = read_bytes(dir + "/esvae.fsvae"), taid = read_bytes(dir + "/taid.fsvae");
    CHECK(error_of(esvae, [](flatbuffers::Table& t) { t.SetField<uint8_t>(fb::Model::VT_SAMPLER, 7, 0); }) ==
          "edited.fsvae: unknown sampler kind 7");
    CHECK(error_of(taid, [](flatbuffers::Table& t) { t.SetField<uint8_t>(fb::Model::VT_READOUT, 9, 0); }) ==
          "edited.fsvae: unknown readout kind 9");
    CHECK(error_of(esvae, [](flatbuffers::Table& t) {
              t.SetField<uint32_t>(fb::Model::VT_SCHEMA_VERSION, 1, 0);
          }) == "edited.fsvae: schema version 1 has no sampler or readout kind, but the file names one");
    CHECK(error_of(esvae, [](flatbuffers::Table&) {}) == "(loaded)");
}

TEST_CASE("variants: the rate sampler's draws are keyed by seed, image, step and latent") {
    const uint32_t C = 37;
    ChoiceSource a(5, 9, 20, C), b(5, 9, 20, C), other_image(5, 10, 20, C), other_seed(6, 9, 20, C);
    std::vector<float> u0(C), u1(C), u2(C), u3(C), g0(C), g1(C);
    a.uniforms(3, u0.data());
    b.uniforms(3, u1.data());
    CHECK(u0 == u1);
    other_image.uniforms(3, u2.data());
    CHECK(u0 != u2);
    other_seed.uniforms(3, u2.data());
    CHECK(u0 != u2);
    a.uniforms(4, u3.data());
    CHECK(u0 != u3);
    a.gaussians(g0.data());
    b.gaussians(g1.data());
    CHECK(g0 == g1);
    // Over many draws: U in [0, 1) with mean 1/2; g with mean 0, variance 1.
    double su = 0, sg = 0, sg2 = 0;
    size_t n = 0, m = 0;
    for (uint64_t img = 0; img < 400; ++img) {
        ChoiceSource s(1, img, 20, C);
        s.uniforms(0, u0.data());
        s.gaussians(g0.data());
        for (uint32_t c = 0; c < C; ++c) {
            REQUIRE(u0[c] >= 0.0f);
            REQUIRE(u0[c] < 1.0f);
            su += u0[c];
            ++n;
            REQUIRE(std::isfinite(g0[c]));
            sg += g0[c];
            sg2 += double(g0[c]) * g0[c];
            ++m;
        }
    }
    CHECK(std::abs(su / double(n) - 0.5) < 0.02);
    CHECK(std::abs(sg / double(m)) < 0.05);
    CHECK(std::abs(sg2 / double(m) - 1.0) < 0.06);
    // Injected draws replace both.
    std::vector<float> gi(C, 0.25f), ui(size_t(2) * C, 0.75f);
    a.inject_rate_draws(gi.data(), ui.data());
    a.uniforms(1, u0.data());
    a.gaussians(g0.data());
    CHECK(u0 == std::vector<float>(C, 0.75f));
    CHECK(g0 == std::vector<float>(C, 0.25f));
}

TEST_CASE("variants: ESVAE at latent_dim 32 matches the PyTorch reference") {
    const std::string dir = variant_dir();
    if (dir.empty()) return;
    auto m = Model::load_file(dir + "/esvae.fsvae");
    CHECK(m->info().sampler == SamplerKind::EsvaeRate);
    CHECK(m->info().latent_dim == 32);
    CHECK(m->topology().prior[0] == Topology::kNone);
    // The {'net': state_dict, 'epoch': n} layout exports the same layers.
    auto best = Model::load_file(dir + "/esvae_best.fsvae");
    REQUIRE(best->layers().size() == m->layers().size());
    for (size_t i = 0; i < m->layers().size(); ++i) {
        const LayerSpec& s = m->layer(i).spec;
        CHECK(best->layer(i).spec.name == s.name);
        CHECK(std::equal(m->layer(i).weight, m->layer(i).weight + s.weight_size(), best->layer(i).weight));
        CHECK(std::equal(m->layer(i).bias, m->layer(i).bias + s.bias_size(), best->layer(i).bias));
    }
    check_parity(dir, "esvae", Mode::Generate);
    check_parity(dir, "esvae", Mode::Reconstruct);
}

TEST_CASE("variants: TAID matches the PyTorch reference") {
    const std::string dir = variant_dir();
    if (dir.empty()) return;
    auto m = Model::load_file(dir + "/taid.fsvae");
    CHECK(m->info().readout == ReadoutKind::Taid);
    check_parity(dir, "taid", Mode::Generate);
    check_parity(dir, "taid", Mode::Reconstruct);
}

TEST_CASE("variants: ESVAE and TAID images are the same for any thread count, batch and step by step") {
    const std::string dir = variant_dir();
    if (dir.empty()) return;
    for (const char* name : {"esvae", "taid"}) {
        auto model = Model::load_file(dir + "/" + name + ".fsvae");
        const ModelInfo& I = model->info();
        const size_t n = 6, sz = I.image_size();
        Engine engine(model);
        const std::vector<float> inputs = test_inputs(n, sz);
        for (const Mode mode : {Mode::Generate, Mode::Reconstruct}) {
            const std::string what = std::string(name) + (mode == Mode::Generate ? " generate" : " reconstruct");
            INFO(what);
            auto run = [&](int threads, uint64_t first, size_t count, std::vector<ImageTrace>* tr) {
                BatchOptions o;
                o.seed = 77;
                o.first_index = first;
                o.count = count;
                o.threads = threads;
                std::vector<float> out(count * sz);
                if (mode == Mode::Generate)
                    generate_batch(engine, o, out.data(), tr);
                else
                    reconstruct_batch(engine, o, inputs.data() + first * sz, out.data(), tr);
                return out;
            };
            std::vector<ImageTrace> t1, t4;
            const std::vector<float> one = run(1, 0, n, &t1);
            CHECK(run(4, 0, n, &t4) == one);  // batch across threads
            for (size_t i = 0; i < n; ++i) CHECK(t1[i].z == t4[i].z);
            CHECK(run(8, 0, 2, nullptr) ==
                  std::vector<float>(one.begin(), one.begin() + 2 * sz));  // one image on 8 threads
            CHECK(run(2, 3, 3, nullptr) == std::vector<float>(one.begin() + 3 * sz, one.end()));
            for (size_t i : {size_t(4), size_t(2)})  // one image alone, out of order
                CHECK(run(1, i, 1, nullptr) ==
                      std::vector<float>(one.begin() + i * sz, one.begin() + (i + 1) * sz));
            // Step by step, reading the image at the end.
            Workspace ws(engine);
            ChoiceSource choices(77, 1, I.k, I.latent_dim);
            ws.begin(mode, choices, inputs.data() + sz);
            std::vector<float> img(sz), half(sz);
            while (ws.step())
                if (ws.steps_done() == I.time_steps / 2) ws.read_image(half.data());  // the image so far
            for (float v : half) REQUIRE((std::isfinite(v) && v >= -1.0f && v <= 1.0f));
            CHECK(half != std::vector<float>(one.begin() + sz, one.begin() + 2 * sz));
            ws.read_image(img.data());
            CHECK(img == std::vector<float>(one.begin() + sz, one.begin() + 2 * sz));
            // Images differ from one another (the draws are per image).
            CHECK(std::vector<float>(one.begin(), one.begin() + sz) != img);
        }
    }
}
