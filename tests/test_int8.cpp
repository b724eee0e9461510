// Int8 models (schema version 3): loading and its refusals, and the promise
// that integer sums make an int8 model's images the same bytes on every ISA,
// thread count, batch size and execution order.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "../runtime/error.hpp"
#include "support.hpp"

using namespace fsvae;
using namespace fsvae::test;

namespace {

const std::string kInt8Path = std::string(FSVAE_TEST_SOURCE_DIR) + "/samples/fashion-mnist-int8.fsvae";

std::shared_ptr<const Model> int8_model() {
    static const auto m = Model::load_file(kInt8Path);
    return m;
}

std::string load_error(const std::vector<uint8_t>& bytes) {
    try {
        Model::from_buffer(bytes.data(), bytes.size(), "int8.fsvae");
    } catch (const Error& e) {
        return e.what();
    }
    return "(loaded)";
}

bool same_bytes(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
}

std::vector<float> batch(const Engine& e, Mode mode, const std::vector<float>& images, size_t count,
                         uint64_t first, int threads) {
    const size_t S = e.model().info().image_size();
    std::vector<float> out(count * S);
    BatchOptions o;
    o.seed = 5;
    o.first_index = first;
    o.count = count;
    o.threads = threads;
    if (mode == Mode::Generate)
        generate_batch(e, o, out.data());
    else
        reconstruct_batch(e, o, images.data() + first * S, out.data());
    return out;
}

std::vector<float> test_images(size_t n, size_t S) {
    std::vector<float> v(n * S);
    for (size_t i = 0; i < v.size(); ++i) v[i] = float((i * 7 + i / S) % 29) / 14.0f - 1.0f;
    return v;
}

}  // namespace

TEST_CASE("int8: the bundled int8 model loads as version 3, small, int8 where allowed") {
    const auto m = int8_model();
    CHECK(m->info().schema_version == 3);
    CHECK(m->byte_size() <= size_t(4.5e6));
    size_t n8 = 0;
    for (const Layer& L : m->layers()) {
        n8 += L.int8();
        if (L.int8()) {
            CHECK(L.weight == nullptr);
            CHECK(L.scale != nullptr);
        }
    }
    CHECK(n8 == m->layers().size() - 2);  // all but encoder.0 and the image layer
    CHECK(!m->layer(m->topology().encoder[0]).int8());
    // Version 1 (the committed fp32 file) still loads, with no int8 layer.
    const auto v1 = bundled_model();
    CHECK(v1->info().schema_version == 1);
    for (const Layer& L : v1->layers()) CHECK(!L.int8());
}

TEST_CASE("int8: the loader refuses malformed int8 layers in one line") {
    const auto base = editable_model(kInt8Path);
    auto expect = [](EditableModel e, const char* what) {
        const std::string err = load_error(e.to_bytes());
        INFO(err);
        CHECK(err.find(what) != std::string::npos);
        CHECK(err.find('\n') == std::string::npos);
    };
    {
        auto e = base;
        e.schema_version = 2;
        expect(e, "layer \"encoder.1\": has int8 weights, which schema version 2 does not have");
    }
    {
        auto e = base;
        e.layer("decoder.1").weight_i8[17] = -128;
        expect(e, "layer \"decoder.1\": weight_i8 17 is -128, outside [-127, 127]");
    }
    {
        auto e = base;
        e.layer("decoder.1").weight_scale[3] = std::nanf("");
        expect(e, "layer \"decoder.1\": weight_scale 3 is nan");
    }
    {
        auto e = base;
        e.layer("prior.layers.2").weight_scale.pop_back();
        expect(e, "layer \"prior.layers.2\": weight_scale has 2559 values, expected 2560");
    }
    {
        auto e = base;
        e.layer("encoder.1").weight_i8.pop_back();
        expect(e, "layer \"encoder.1\": weight_i8 has");
    }
    {
        auto e = base;
        e.layer("decoder.0").weight_scale.clear();
        expect(e, "layer \"decoder.0\": int8 weights need both weight_i8 and weight_scale");
    }
    {
        auto e = base;
        auto& L = e.layer("decoder.0");
        L.weight.assign(L.weight_i8.size(), 0.0f);
        expect(e, "layer \"decoder.0\": has both float and int8 weights");
    }
    {  // encoder.0 takes the image's real values: no int8 there
        auto e = base;
        auto& L = e.layer("encoder.0");
        L.weight_i8.assign(L.weight.size(), 1);
        L.weight_scale.assign(L.bias.size(), 0.01f);
        L.weight.clear();
        expect(e, "layer \"encoder.0\": has int8 weights; only spiking layers fed by spikes may");
    }
}

TEST_CASE("int8: every kernel table, thread count, batch size and offset give the same bytes") {
    Engine ref(int8_model(), &kernels::scalar_kernels());
    const size_t S = int8_model()->info().image_size();
    const auto images = test_images(6, S);
    const kernels::KernelTable* tables[8];
    const size_t n = kernels::available_kernels(tables, 8);
    for (Mode mode : {Mode::Generate, Mode::Reconstruct}) {
        CAPTURE(int(mode));
        const auto want = batch(ref, mode, images, 6, 0, 1);
        for (size_t i = 0; i < n; ++i) {
            INFO(std::string(tables[i]->isa));
            Engine e(int8_model(), tables[i]);
            CHECK(same_bytes(batch(e, mode, images, 6, 0, 1), want));
            CHECK(same_bytes(batch(e, mode, images, 6, 0, 2), want));
            const auto tail = batch(e, mode, images, 2, 4, 2);  // images 4 and 5 alone
            CHECK(std::memcmp(tail.data(), want.data() + 4 * S, 2 * S * 4) == 0);
        }
        // The dense mode takes the event path for int8 layers: the same bytes.
        EngineOptions dense;
        dense.dense = true;
        CHECK(same_bytes(batch(Engine(int8_model(), &kernels::scalar_kernels(), dense), mode, images, 6,
                               0, 1),
                         want));
        // And int8 is a different model from fp32, though a close one.
        const auto fp32 = batch(Engine(bundled_model(), &kernels::scalar_kernels()), mode, images, 6, 0, 1);
        CHECK(!same_bytes(fp32, want));
    }
}

TEST_CASE("int8: layer by layer, step by step and split across threads give the same bytes") {
    const auto model = int8_model();
    const ModelInfo& I = model->info();
    const size_t S = I.image_size();
    const auto image = test_images(1, S);
    const kernels::KernelTable* tables[8];
    const size_t n = kernels::available_kernels(tables, 8);
    for (size_t ti = 0; ti < n; ++ti) {
        Engine e(model, tables[ti]);
        Workspace one(e);
        for (Mode mode : {Mode::Generate, Mode::Reconstruct}) {
            for (uint64_t i = 0; i < 2; ++i) {
                INFO(std::string(tables[ti]->isa), " mode ", int(mode), " image ", i);
                const ChoiceSource choices(21, i, I.k, I.latent_dim);
                std::vector<float> whole(S), stepped(S), split(S);
                ImageTrace ta, tb;
                if (mode == Mode::Generate)
                    one.generate(choices, whole.data(), &ta);
                else
                    one.reconstruct(image.data(), choices, whole.data(), &ta);
                // Step by step: every operation at t, then t + 1.
                Workspace steps(e);
                steps.begin(mode, choices, image.data());
                while (steps.step()) {
                }
                steps.read_image(stepped.data());
                CHECK(same_bytes(whole, stepped));
                for (size_t threads : {2, 3, 5}) {
                    CAPTURE(threads);
                    Workspace parts(e);
                    parts.set_threads(threads);
                    if (mode == Mode::Generate)
                        parts.generate(choices, split.data(), &tb);
                    else
                        parts.reconstruct(image.data(), choices, split.data(), &tb);
                    CHECK(same_bytes(whole, split));
                    CHECK(ta.spikes == tb.spikes);
                    CHECK(ta.z == tb.z);
                }
            }
        }
    }
}
