// fuzz_entries.cpp: the fuzz targets' bodies (see fuzz_entries.hpp) and the
// small valid model the edit target mutates.
#include "fuzz_entries.hpp"

#include <cmath>
#include <cstring>
#include <memory>

#include "../../runtime/architecture.hpp"
#include "../../runtime/engine.hpp"
#include "../../runtime/error.hpp"
#include "../../runtime/image_input.hpp"
#include "../../runtime/model.hpp"
#include "fsvae_generated.h"

namespace fsvae::fuzz {
namespace {

// A refusal must be one line of printable text that names the input first:
// bytes from the file must not cut it short (NUL), break it or reach the
// terminal (control characters).
std::string check_message(const Error& e, const std::string& origin) {
    const std::string m = e.what();
    if (m.rfind(origin + ": ", 0) != 0) return "message does not start with \"" + origin + ": \": " + m;
    for (unsigned char c : m)
        if (c < 0x20 || c > 0x7e) return "message holds byte " + std::to_string(c) + ": " + m;
    return "";
}

std::string check_image(const std::vector<float>& v, const char* what) {
    for (size_t i = 0; i < v.size(); ++i)
        if (!(v[i] >= -1.0f && v[i] <= 1.0f))
            return std::string(what) + " value " + std::to_string(i) + " is " + std::to_string(v[i]) +
                   ", outside [-1, 1]";
    return "";
}

// Two steps of each mode on a model that loaded (one step cannot show state
// carried between steps going bad): the loader's checks are all the step
// loop has, so whatever passes them must run, and give images in [-1, 1].
std::string run_two_steps(const std::shared_ptr<const Model>& m) {
    const ModelInfo& I = m->info();
    Engine engine(m);
    Workspace ws(engine);
    std::vector<float> out(I.image_size());
    ws.begin(Mode::Generate, ChoiceSource(1, 0, I.k, I.latent_dim));
    ws.step();
    ws.step();
    ws.read_image(out.data());
    if (std::string bad = check_image(out, "generated image"); !bad.empty()) return bad;

    std::vector<float> image(I.image_size());
    for (size_t i = 0; i < image.size(); ++i) image[i] = float(i % 7) / 3.0f - 1.0f;
    ws.begin(Mode::Reconstruct, ChoiceSource(1, 0, I.k, I.latent_dim), image.data());
    ws.step();
    ws.step();
    ws.read_image(out.data());
    return check_image(out, "reconstructed image");
}

// Deterministic weights in [-0.25, 0.25) and biases above the threshold, so
// that layers fire and a step exercises the propagation paths.
std::vector<uint8_t> build_base_model() {
    namespace fb = fsvae::format;
    constexpr uint32_t kLatent = 2, kK = 2, kChannels = 1, kSteps = 2;
    const Architecture arch = make_architecture(Variant::FSVAE, kLatent, kK, kChannels);
    uint32_t state = 12345;
    auto next = [&] {
        state = state * 1664525u + 1013904223u;
        return float(state >> 8) / float(1u << 24) * 0.5f - 0.25f;
    };
    flatbuffers::FlatBufferBuilder b(size_t(1) << 22);
    std::vector<flatbuffers::Offset<fb::Layer>> layers;
    for (const LayerSpec& s : arch.layers) {
        std::vector<float> w(s.weight_size()), bias(s.bias_size(), 0.3f);
        for (float& x : w) x = next();
        auto name = b.CreateString(s.name);
        auto wv = b.CreateVector(w);
        auto bv = b.CreateVector(bias);
        layers.push_back(fb::CreateLayer(b, name, fb::LayerKind(s.kind), s.in.c, s.in.h, s.in.w,
                                         s.out.c, s.out.h, s.out.w, s.kernel, s.stride, s.padding,
                                         s.output_padding, s.spiking, s.bn_alpha, wv, bv));
    }
    auto lv = b.CreateVector(layers);
    auto ds = b.CreateString("fuzz");
    auto src = b.CreateString("tests/fuzz/fuzz_entries.cpp");
    auto root = fb::CreateModel(b, Model::kSchemaVersion, fb::Variant::FSVAE, ds, src, kSteps, kK,
                                kLatent, 0.2f, 0.25f, 0.8f, kChannels, 32, 32, lv);
    fb::FinishModelBuffer(b, root);
    return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

}  // namespace

std::string model_bytes(const uint8_t* data, size_t size) {
    static const std::string origin = "fuzz.fsvae";
    std::shared_ptr<const Model> m;
    try {
        m = Model::from_buffer(data, size, origin);
    } catch (const Error& e) {
        return check_message(e, origin);
    }
    return run_two_steps(m);
}

const std::vector<uint8_t>& edit_base_model() {
    static const std::vector<uint8_t> base = build_base_model();
    return base;
}

std::string model_edits(const uint8_t* data, size_t size) {
    // Edited in place and restored afterwards: copying 4 MB per input would
    // cost more than the load itself.
    static std::vector<uint8_t> work = edit_base_model();
    std::vector<std::pair<size_t, uint8_t>> undo;
    size_t at = 0;
    while (at + 5 <= size) {
        uint32_t offset;
        std::memcpy(&offset, data + at, 4);
        const size_t len = std::min<size_t>(data[at + 4], size - at - 5);
        at += 5;
        for (size_t j = 0; j < len; ++j) {
            const size_t p = (size_t(offset) + j) % work.size();
            undo.emplace_back(p, work[p]);
            work[p] = data[at + j];
        }
        at += len;
    }
    std::string result = model_bytes(work.data(), work.size());
    for (auto it = undo.rbegin(); it != undo.rend(); ++it) work[it->first] = it->second;
    return result;
}

const char* format_name(ImageFormat f) {
    switch (f) {
        case ImageFormat::Idx: return "idx";
        case ImageFormat::Png: return "png";
        case ImageFormat::Npy: return "npy";
    }
    return "?";
}

std::string image_bytes(ImageFormat format, const uint8_t* data, size_t size) {
    // Each target keeps to its reader; read_images dispatches on these bytes.
    const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    const bool idx = size >= 3 && data[0] == 0 && data[1] == 0;
    const bool png = size >= 4 && std::memcmp(data, "\x89PNG", 4) == 0;
    const bool npy = size >= 6 && std::memcmp(data, "\x93NUMPY", 6) == 0;
    if ((format == ImageFormat::Idx && !(gzip || idx)) || (format == ImageFormat::Png && !png) ||
        (format == ImageFormat::Npy && !npy))
        return "";

    static const std::string origin = "fuzz-input";
    struct Side {
        size_t c, h, w, max;
    };
    // At most 8 images: a few kilobytes of IDX can hold thousands of 1x1
    // images, each resized, which would only slow the search; files of up to
    // 8 still take the read-everything path and its trailing-data check.
    for (const Side& s : {Side{1, 32, 32, 8}, Side{3, 64, 64, 2}}) {
        try {
            const ImageBatch b = read_images_from_memory(data, size, origin, s.c, s.h, s.w, s.max);
            if (b.c != s.c || b.h != s.h || b.w != s.w) return "batch has the wrong image shape";
            if (b.n == 0 || (s.max && b.n > s.max)) return "batch holds " + std::to_string(b.n) + " images";
            if (b.data.size() != b.n * b.c * b.h * b.w) return "batch data has the wrong size";
            if (std::string bad = check_image(b.data, "input"); !bad.empty()) return bad;
        } catch (const Error& e) {
            if (std::string bad = check_message(e, origin); !bad.empty()) return bad;
        }
    }
    return "";
}

}  // namespace fsvae::fuzz
