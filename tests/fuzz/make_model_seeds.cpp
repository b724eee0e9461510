// make_model_seeds.cpp: writes the seed corpora of the two model fuzz targets
// (tests/fuzz/corpus/model/ and model_edits/). A loadable model is megabytes,
// too big to fuzz byte by byte, so:
//  - model/: the real model's first 4 KiB (tables, truncated), and skeleton
//    models: every layer with the right shapes but one-value weight and bias
//    vectors, small enough to mutate, deep enough to reach the shape checks;
//  - model_edits/: one edit per field of the root table and of a layer of
//    each kind in fuzz_entries.cpp's small valid model (its value plus one),
//    so that the fuzzer starts at the offsets that matter.
// Usage: make_model_seeds MODEL_FILE CORPUS_DIR
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "../../runtime/architecture.hpp"
#include "../../runtime/model.hpp"
#include "fsvae_generated.h"
#include "fuzz_entries.hpp"

namespace {

namespace fb = fsvae::format;
using Bytes = std::vector<uint8_t>;

void write(const std::filesystem::path& path, const Bytes& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

Bytes skeleton(fsvae::Variant variant, uint32_t latent, uint32_t k, uint32_t channels,
               uint32_t steps) {
    const auto arch = fsvae::make_architecture(variant, latent, k, channels);
    const uint32_t side = fsvae::variant_image_size(variant);
    flatbuffers::FlatBufferBuilder b;
    std::vector<flatbuffers::Offset<fb::Layer>> layers;
    for (const auto& s : arch.layers) {
        auto name = b.CreateString(s.name);
        auto w = b.CreateVector(std::vector<float>{0.5f});
        auto bias = b.CreateVector(std::vector<float>{0.25f});
        layers.push_back(fb::CreateLayer(b, name, fb::LayerKind(s.kind), s.in.c, s.in.h, s.in.w,
                                         s.out.c, s.out.h, s.out.w, s.kernel, s.stride, s.padding,
                                         s.output_padding, s.spiking, s.bn_alpha, w, bias));
    }
    auto lv = b.CreateVector(layers);
    auto root = fb::CreateModel(b, fsvae::Model::kSchemaVersion, fb::Variant(variant),
                                b.CreateString("seed"), b.CreateString("skeleton"), steps, k,
                                latent, 0.2f, 0.25f, 0.8f, channels, side, side, lv);
    fb::FinishModelBuffer(b, root);
    return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

// An edit record (see fuzz_entries.hpp): the u32 at `at` plus one.
Bytes bump_u32(const Bytes& base, size_t at) {
    uint32_t v;
    std::memcpy(&v, base.data() + at, 4);
    ++v;
    Bytes r(5 + 4);
    const uint32_t off = uint32_t(at);
    std::memcpy(r.data(), &off, 4);
    r[4] = 4;
    std::memcpy(r.data() + 5, &v, 4);
    return r;
}

// One record per field present in the table's vtable.
void field_edits(const Bytes& base, const uint8_t* table, const std::string& prefix,
                 const std::filesystem::path& dir) {
    int32_t vt_off;
    std::memcpy(&vt_off, table, 4);
    const uint8_t* vt = table - vt_off;
    uint16_t vt_size;
    std::memcpy(&vt_size, vt, 2);
    for (uint16_t i = 0; 4 + 2 * i < vt_size; ++i) {
        uint16_t field;
        std::memcpy(&field, vt + 4 + 2 * i, 2);
        if (field == 0) continue;
        const size_t at = size_t(table + field - base.data());
        write(dir / (prefix + "-field" + std::to_string(i)), bump_u32(base, at));
    }
    // The table's vtable offset itself.
    write(dir / (prefix + "-vtable"), bump_u32(base, size_t(table - base.data())));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: make_model_seeds MODEL_FILE CORPUS_DIR\n";
        return 2;
    }
    const std::filesystem::path root = argv[2];
    const auto model_dir = root / "model", edit_dir = root / "model_edits";
    std::filesystem::create_directories(model_dir);
    std::filesystem::create_directories(edit_dir);

    std::ifstream in(argv[1], std::ios::binary);
    Bytes real{std::istreambuf_iterator<char>(in), {}};
    if (real.size() < 4096) {
        std::cerr << argv[1] << ": not a model file\n";
        return 1;
    }
    write(model_dir / "real-head-4k.fsvae", Bytes(real.begin(), real.begin() + 4096));
    write(model_dir / "skeleton-fsvae.fsvae", skeleton(fsvae::Variant::FSVAE, 128, 20, 1, 16));
    write(model_dir / "skeleton-large-rgb.fsvae",
          skeleton(fsvae::Variant::FSVAELarge, 64, 8, 3, 4));
    write(model_dir / "skeleton-tiny.fsvae", skeleton(fsvae::Variant::FSVAE, 1, 1, 1, 1));

    const Bytes& base = fsvae::fuzz::edit_base_model();
    write(edit_dir / "no-edit", {});
    const fb::Model* m = fb::GetModel(base.data());
    field_edits(base, reinterpret_cast<const uint8_t*>(m), "root", edit_dir);
    for (const auto* l : *m->layers()) {
        const std::string name = l->name()->str();
        if (name != "encoder.0" && name != "before_latent_layer" && name != "decoder.0" &&
            name != "final_layer.1")
            continue;
        field_edits(base, reinterpret_cast<const uint8_t*>(l), name, edit_dir);
        // A weight made NaN, and the weight vector's length.
        const auto* w = reinterpret_cast<const uint8_t*>(l->weight()->data());
        Bytes nan(5 + 4);
        const uint32_t off = uint32_t(w - base.data());
        std::memcpy(nan.data(), &off, 4);
        nan[4] = 4;
        const uint32_t qnan = 0x7fc00000u;
        std::memcpy(nan.data() + 5, &qnan, 4);
        write(edit_dir / (name + "-weight-nan"), nan);
        write(edit_dir / (name + "-weight-length"), bump_u32(base, size_t(w - base.data()) - 4));
    }
    std::cout << "wrote seeds under " << root << "\n";
    return 0;
}
