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

// Model::kMaxTimeSteps, kMaxK and kMaxLatent keep every size computation far
// from overflow and any allocation the file could request reasonable.

// The most terms one neuron's input sums in one step: posterior.layers.0
// takes [x_lat ; z], 2 x latent_dim inputs; convolutions take at most
// 9 x 256 (encoder.4 of FSVAELarge), transposed ones 4 x 512 (decoder.0),
// the image layer 9 x 32. Checked per layer below, so that the bound on
// kMaxMagnitude holds for any architecture this loader accepts.
constexpr uint64_t kMaxFanIn = 2 * uint64_t(Model::kMaxLatent);

// No sum of the step loop can overflow, by construction. With the limits
// checked here (|w|, |b| <= M = Model::kMaxMagnitude, tau and readout_decay in
// [0, 1], T <= Model::kMaxTimeSteps, fan-in <= F = kMaxFanIn) and the inputs
// Workspace::begin checks (image values in [-1, 1]; spikes are 0 or 1):
//  - Every float the step loop forms is a tree of additions whose leaves
//    are weights, biases, products w * x with |x| <= 1 (|fl(w x)| <= M), or
//    products of a weight and a readout sum, with multiplications by tau or
//    readout_decay in between, which cannot make a float larger. Each
//    addition rounds up by at most a factor 1 + u (u = 2^-24), so a value of
//    n leaves each at most L in magnitude has |v| <= n L (1 + u)^(n-1)
//    <= n L e^(n u) (induction over the tree).
//  - A membrane: each step adds at most F events and the bias, and tau <= 1
//    keeps what came before, so after T steps n <= T (F + 1)
//    = 4096 x 131073 = 536,875,008 leaves of M; n u = 32.0, e^32 = 7.9e13;
//    |u| <= 4.24e22 M. (The exact worst case is n M = 5.4e8 M; the rounding
//    factor is what a proof must allow, not what happens: test_model.cpp's
//    widest layer at the limits in fact stalls below the exact sum.)
//  - The readout sum S = d S + s (d <= 1, s in {0, 1}) and its bias weight
//    B = d B + 1 are at most T exactly (integers below 2^24); the image's
//    current, 9 taps x 32 channels of w S plus b B, has 289 leaves of at
//    most M T (1 + u): |acc| <= 289 x 4096 x M (1 + u)^290 = 1.2e6 M.
// With M = 1e12 the largest, 4.24e34, is 8,000 times below FLT_MAX
// (3.4e38), so no sum reaches infinity, and no inf - inf or 0 * inf makes a
// NaN image. Trained weights are O(1) (the bundled model, tdBN folded in:
// |w| <= 0.48, |b| <= 1.3).
// An int8 layer adds scale * n to a membrane, n the exact integer sum of
// at most F weights of |q| <= 127 (kernels.hpp): |n| <= 127 F = 16,646,144,
// below 2^24, so n fits int32 (and int16 over blocks of 258 events), and
// converts to float exactly; with |scale| <= M / 127, |scale * n| <= F M
// (1 + u), a leaf no larger than the F events of a float layer together,
// so the bound above holds for int8 layers as well.
static_assert(127 * kMaxFanIn < (uint64_t(1) << 24), "int8 sums must convert to float exactly");
static_assert(Model::kMaxMagnitude == 1e12f && Model::kMaxTimeSteps == 4096 &&
                  kMaxFanIn == 131072,
              "the derivation above is for these limits: redo it");

// Input terms one output of layer s sums per step (see kMaxFanIn).
uint64_t fan_in(const LayerSpec& s) {
    if (s.kind == LayerKind::Linear) return s.in.size();
    const uint64_t taps = s.kind == LayerKind::Conv || s.stride == 1
                              ? uint64_t(s.kernel) * s.kernel
                              : uint64_t((s.kernel + s.stride - 1) / s.stride) *
                                    ((s.kernel + s.stride - 1) / s.stride);
    return taps * s.in.c;
}

// The one size check of load_file and from_buffer, before any byte is read.
static_assert(Model::kMaxBytes == FLATBUFFERS_MAX_BUFFER_SIZE - 1,
              "FlatBuffers' Verifier requires a size below FLATBUFFERS_MAX_BUFFER_SIZE");
void check_size(const std::string& origin, const char* what, uint64_t size) {
    if (size <= Model::kMaxBytes) return;
    if (size > (uint64_t(1) << 31))
        fail(origin, std::string(what) + " is larger than 2 GiB, the FlatBuffers limit");
    fail(origin, std::string(what) + " is " + std::to_string(size) +
                     " bytes, over the FlatBuffers limit of " + std::to_string(Model::kMaxBytes));
}

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
    check_size(path, "model file", uint64_t(end));
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
    check_size(origin, "model buffer", size);
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
    // The neuron constants, as the bound on kMaxMagnitude needs them: a decay
    // above 1 grows a membrane or the readout sum geometrically (the readout
    // at 400 overflowed in a few steps and made every pixel NaN). A
    // threshold of 0 or less fires neurons at rest. bn_alpha is not checked:
    // the exporter folds it into the weights, and the step loop never reads it.
    if (!std::isfinite(I.vth) || !std::isfinite(I.tau) || !std::isfinite(I.readout_decay))
        fail(origin, "vth, tau or readout_decay is not finite");
    if (!(I.vth > 0)) fail(origin, "vth " + std::to_string(I.vth) + " is not positive");
    if (I.tau < 0 || I.tau > 1) fail(origin, "tau " + std::to_string(I.tau) + " is outside [0, 1]");
    if (I.readout_decay < 0 || I.readout_decay > 1)
        fail(origin, "readout_decay " + std::to_string(I.readout_decay) + " is outside [0, 1]");
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
        // An int8 layer (version 3 on): a spiking layer whose input is
        // spikes (the first encoder layer takes the image's real values, and
        // its current is formed once per image, in float).
        const bool int8 = fl->weight_i8() != nullptr || fl->weight_scale() != nullptr;
        if (int8) {
            if (I.schema_version < 3)
                fail(origin, where + "has int8 weights, which schema version " +
                                 std::to_string(I.schema_version) + " does not have (version 3 on)");
            if (!s.spiking || (!topo_.encoder.empty() && s.name == arch.layers[topo_.encoder[0]].name))
                fail(origin, where + "has int8 weights; only spiking layers fed by spikes may");
            if (!fl->weight_i8() || !fl->weight_scale())
                fail(origin, where + "int8 weights need both weight_i8 and weight_scale");
            if (fl->weight()->size() != 0)
                fail(origin, where + "has both float and int8 weights");
            if (fl->weight_i8()->size() != s.weight_size())
                fail(origin, where + "weight_i8 has " + std::to_string(fl->weight_i8()->size()) +
                                 " values, expected " + std::to_string(s.weight_size()));
            if (fl->weight_scale()->size() != s.bias_size())
                fail(origin, where + "weight_scale has " + std::to_string(fl->weight_scale()->size()) +
                                 " values, expected " + std::to_string(s.bias_size()));
        } else if (fl->weight()->size() != s.weight_size())
            fail(origin, where + "weight has " + std::to_string(fl->weight()->size()) +
                             " values, expected " + std::to_string(s.weight_size()));
        if (fl->bias()->size() != s.bias_size())
            fail(origin, where + "bias has " + std::to_string(fl->bias()->size()) +
                             " values, expected " + std::to_string(s.bias_size()));
        if (fan_in(s) > kMaxFanIn)  // an architecture the overflow bound does not cover
            fail(origin, where + "takes " + std::to_string(fan_in(s)) +
                             " inputs per output, more than " + std::to_string(kMaxFanIn));
        Layer L;
        L.spec = s;
        L.spec.bn_alpha = fl->bn_alpha();
        L.bias = fl->bias()->data();
        if (int8) {
            L.weight_i8 = fl->weight_i8()->data();
            L.scale = fl->weight_scale()->data();
        } else {
            L.weight = fl->weight()->data();
        }
        auto check_values = [&](const float* v, size_t n, const char* what) {
            for (size_t i = 0; i < n; ++i) {
                if (std::fabs(v[i]) <= kMaxMagnitude) continue;
                if (!std::isfinite(v[i]))
                    fail(origin, where + what + " " + std::to_string(i) + " is not finite");
                fail(origin, where + what + " " + std::to_string(i) + " is " + number(v[i]) +
                                 ", beyond the +-1e12 within which no sum of the step loop can overflow");
            }
        };
        if (int8) {
            // -128 has no positive twin; the bound on the integer sums
            // (kMaxInt8Sum) is for |q| <= 127.
            for (size_t i = 0; i < s.weight_size(); ++i)
                if (L.weight_i8[i] == -128)
                    fail(origin, where + "weight_i8 " + std::to_string(i) + " is -128, outside [-127, 127]");
            // scale * q is then at most kMaxMagnitude, like a float weight.
            for (size_t i = 0; i < s.bias_size(); ++i)
                if (!(std::fabs(L.scale[i]) <= kMaxMagnitude / 127))
                    fail(origin, where + "weight_scale " + std::to_string(i) + " is " +
                                     number(L.scale[i]) + ", beyond the +-1e12/127 the overflow bound allows");
        } else {
            check_values(L.weight, s.weight_size(), "weight");
        }
        check_values(L.bias, s.bias_size(), "bias");
        layers_.push_back(L);
    }
}

}  // namespace fsvae
