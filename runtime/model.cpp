// model.cpp: loading and validation. Everything the step loop relies on
// (buffer integrity, every shape and size, finite values) is checked here,
// once, so that the step loop runs without checks.
#include "model.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "error.hpp"
#include "fsvae_generated.h"

namespace fsvae {
namespace {

namespace fb = fsvae::format;

[[noreturn]] void fail(const std::string& origin, const std::string& what) {
    throw Error(origin + ": " + what);
}

// A name taken from the file, safe in a one-line message (at most 64 characters).
std::string printable(const std::string& s) { return fsvae::printable(s, 64); }

std::string shape_str(const Shape3& s) {
    std::ostringstream o;
    o << s.c << "x" << s.h << "x" << s.w;
    return o.str();
}

// Bounds that keep every size computation far from overflow and any
// allocation the file could request reasonable.
constexpr uint32_t kMaxTimeSteps = 4096;
constexpr uint32_t kMaxK = 4096;
constexpr uint32_t kMaxLatent = 65536;

// Finite weights can still overflow: a membrane adds up to 2^17 weights a
// step for up to 4096 steps, and an infinite readout current becomes NaN at
// the next step (0 * inf, or inf - inf), which is then written out as an
// image. With every weight and bias within this bound no sum can exceed
// about 1e29, far from FLT_MAX (3.4e38); trained weights are O(1).
constexpr float kMaxMagnitude = 1e20f;

std::string number(float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", double(v));
    return buf;
}

}  // namespace

std::shared_ptr<const Model> Model::load_file(const std::string& path) {
    // A directory opens like a file on Linux; say what it is rather than
    // report whatever size its seek returns.
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, not a model file");
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) fail(path, "cannot open model file");
    const std::streamoff end = in.tellg();
    if (end < 0) fail(path, "cannot read model file");
    if (end == 0) fail(path, "model file is empty");
    if (uint64_t(end) > (uint64_t(1) << 31))
        fail(path, "model file is larger than 2 GiB, the FlatBuffers limit");
    std::shared_ptr<Model> m(new Model());
    m->owned_.resize(size_t(end));
    in.seekg(0);
    if (!in.read(reinterpret_cast<char*>(m->owned_.data()), end))
        fail(path, "cannot read model file");
    m->data_ = m->owned_.data();
    m->size_ = m->owned_.size();
    m->parse(path);
    return m;
}

std::shared_ptr<const Model> Model::from_buffer(const void* data, size_t size,
                                                const std::string& origin) {
    if (data == nullptr || size == 0) fail(origin, "model buffer is empty");
    // Weights and fields are read in place as floats and 32-bit integers.
    if (reinterpret_cast<uintptr_t>(data) % alignof(uint32_t) != 0)
        fail(origin, "model buffer is not 4-byte aligned; FlatBuffers reads it in place");
    std::shared_ptr<Model> m(new Model());
    m->data_ = static_cast<const uint8_t*>(data);
    m->size_ = size;
    m->parse(origin);
    return m;
}

size_t Model::parameter_count() const {
    size_t n = 0;
    for (const Layer& l : layers_) n += l.spec.weight_size() + l.spec.bias_size();
    return n;
}

void Model::parse(const std::string& origin) {
    origin_ = origin;
    if (size_ < 8) fail(origin, "file is too short to be an fsvae model (" + std::to_string(size_) + " bytes)");
    if (!fb::ModelBufferHasIdentifier(data_)) {
        std::string id(reinterpret_cast<const char*>(data_) + 4, 4);
        for (char& ch : id)
            if (ch < 32 || ch > 126) ch = '?';
        fail(origin, "not an fsvae model: file identifier is \"" + id + "\", expected \"" +
                         fb::ModelIdentifier() + "\"");
    }
    flatbuffers::Verifier verifier(data_, size_, 64, 10'000'000);
    if (!fb::VerifyModelBuffer(verifier))
        fail(origin, "corrupted model: the FlatBuffer failed verification (truncated or damaged file)");

    const fb::Model* fm = fb::GetModel(data_);
    ModelInfo& I = info_;
    I.schema_version = fm->schema_version();
    if (I.schema_version < kOldestSchemaVersion || I.schema_version > kSchemaVersion)
        fail(origin, "schema version " + std::to_string(I.schema_version) +
                         " is not supported (this runtime reads versions " +
                         std::to_string(kOldestSchemaVersion) + " to " +
                         std::to_string(kSchemaVersion) + ")");
    // Version 1 has no kinds: its fields read as their defaults, FSVAE's.
    const auto sampler = static_cast<uint8_t>(fm->sampler());
    const auto readout = static_cast<uint8_t>(fm->readout());
    if (sampler > 1) fail(origin, "unknown sampler kind " + std::to_string(sampler));
    if (readout > 1) fail(origin, "unknown readout kind " + std::to_string(readout));
    if (I.schema_version < 2 && (sampler != 0 || readout != 0))
        fail(origin, "schema version 1 has no sampler or readout kind, but the file names one");
    I.sampler = static_cast<SamplerKind>(sampler);
    I.readout = static_cast<ReadoutKind>(readout);
    const auto variant = static_cast<uint8_t>(fm->variant());
    if (variant > 1) fail(origin, "unknown model variant " + std::to_string(variant));
    I.variant = static_cast<Variant>(variant);
    I.dataset = fm->dataset() ? fm->dataset()->str() : "";
    I.source = fm->source() ? fm->source()->str() : "";
    I.time_steps = fm->time_steps();
    I.k = fm->k();
    I.latent_dim = fm->latent_dim();
    I.vth = fm->vth();
    I.tau = fm->tau();
    I.readout_decay = fm->readout_decay();
    I.image_channels = fm->image_channels();
    I.image_height = fm->image_height();
    I.image_width = fm->image_width();

    if (I.time_steps < 1 || I.time_steps > kMaxTimeSteps)
        fail(origin, "time_steps " + std::to_string(I.time_steps) + " is out of range 1.." +
                         std::to_string(kMaxTimeSteps));
    if (I.k < 1 || I.k > kMaxK)
        fail(origin, "k " + std::to_string(I.k) + " is out of range 1.." + std::to_string(kMaxK));
    if (I.latent_dim < 1 || I.latent_dim > kMaxLatent)
        fail(origin, "latent_dim " + std::to_string(I.latent_dim) + " is out of range 1.." +
                         std::to_string(kMaxLatent));
    if (uint64_t(I.latent_dim) * I.k > (uint64_t(1) << 24))
        fail(origin, "latent_dim x k is too large");
    if (!std::isfinite(I.vth) || !std::isfinite(I.tau) || !std::isfinite(I.readout_decay))
        fail(origin, "vth, tau or readout_decay is not finite");
    if (I.tau < 0 || I.tau > 1) fail(origin, "tau " + std::to_string(I.tau) + " is outside [0, 1]");
    if (I.image_channels != 1 && I.image_channels != 3)
        fail(origin, "image_channels " + std::to_string(I.image_channels) + " is not 1 or 3");
    const uint32_t side = variant_image_size(I.variant);
    if (I.image_height != side || I.image_width != side)
        fail(origin, std::string("image size ") + std::to_string(I.image_height) + "x" +
                         std::to_string(I.image_width) + " does not match variant " +
                         variant_name(I.variant) + " (" + std::to_string(side) + "x" +
                         std::to_string(side) + ")");

    Architecture arch = make_architecture(I.variant, I.latent_dim, I.k, I.image_channels, I.sampler,
                                          I.readout, I.time_steps);
    topo_ = arch.topo;

    std::map<std::string, const fb::Layer*> by_name;
    for (const fb::Layer* fl : *fm->layers()) {
        const std::string name = fl->name()->str();
        if (!by_name.emplace(name, fl).second)
            fail(origin, "layer \"" + printable(name) + "\" appears twice");
    }
    for (const auto& [name, fl] : by_name) {
        bool expected = false;
        for (const LayerSpec& s : arch.layers) expected |= s.name == name;
        if (!expected)
            fail(origin, "unexpected layer \"" + printable(name) + "\" for a " + variant_name(I.variant) +
                             " model");
    }

    layers_.clear();
    for (const LayerSpec& s : arch.layers) {
        auto it = by_name.find(s.name);
        if (it == by_name.end()) fail(origin, "layer \"" + s.name + "\" is missing");
        const fb::Layer* fl = it->second;
        const std::string where = "layer \"" + s.name + "\": ";
        const auto kind = static_cast<uint8_t>(fl->kind());
        if (kind != static_cast<uint8_t>(s.kind))
            fail(origin, where + "kind " + std::to_string(kind) + " should be " +
                             layer_kind_name(s.kind));
        const Shape3 in{fl->in_channels(), fl->in_height(), fl->in_width()};
        const Shape3 out{fl->out_channels(), fl->out_height(), fl->out_width()};
        if (!(in == s.in))
            fail(origin, where + "input shape " + shape_str(in) + " should be " + shape_str(s.in));
        if (!(out == s.out))
            fail(origin, where + "output shape " + shape_str(out) + " should be " + shape_str(s.out));
        if (s.kind != LayerKind::Linear &&
            (fl->kernel() != s.kernel || fl->stride() != s.stride || fl->padding() != s.padding ||
             fl->output_padding() != s.output_padding))
            fail(origin, where + "kernel/stride/padding/output_padding " +
                             std::to_string(fl->kernel()) + "/" + std::to_string(fl->stride()) +
                             "/" + std::to_string(fl->padding()) + "/" +
                             std::to_string(fl->output_padding()) + " should be " +
                             std::to_string(s.kernel) + "/" + std::to_string(s.stride) + "/" +
                             std::to_string(s.padding) + "/" + std::to_string(s.output_padding));
        if (fl->spiking() != s.spiking)
            fail(origin, where + (s.spiking ? "should be spiking" : "should not be spiking"));
        if (fl->weight()->size() != s.weight_size())
            fail(origin, where + "weight has " + std::to_string(fl->weight()->size()) +
                             " values, expected " + std::to_string(s.weight_size()));
        if (fl->bias()->size() != s.bias_size())
            fail(origin, where + "bias has " + std::to_string(fl->bias()->size()) +
                             " values, expected " + std::to_string(s.bias_size()));
        Layer L;
        L.spec = s;
        L.spec.bn_alpha = fl->bn_alpha();
        L.weight = fl->weight()->data();
        L.bias = fl->bias()->data();
        auto check_values = [&](const float* v, size_t n, const char* what) {
            for (size_t i = 0; i < n; ++i) {
                if (std::fabs(v[i]) <= kMaxMagnitude) continue;
                if (!std::isfinite(v[i]))
                    fail(origin, where + what + " " + std::to_string(i) + " is not finite");
                fail(origin, where + what + " " + std::to_string(i) + " is " + number(v[i]) +
                                 ", beyond the +-1e20 within which no sum of the step loop can overflow");
            }
        };
        check_values(L.weight, s.weight_size(), "weight");
        check_values(L.bias, s.bias_size(), "bias");
        layers_.push_back(L);
    }
}

}  // namespace fsvae
