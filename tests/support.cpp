// support.cpp: test fixtures.
#include "support.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "fsvae_generated.h"

namespace fsvae::test {

std::string source_path(const std::string& relative) {
    return std::string(FSVAE_TEST_SOURCE_DIR) + "/" + relative;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

std::shared_ptr<const Model> bundled_model() {
    static std::shared_ptr<const Model> m = Model::load_file(FSVAE_TEST_MODEL);
    return m;
}

std::string large_path(const std::string& name) {
    return std::string(FSVAE_TEST_LARGE_DIR) + "/" + name;
}

std::shared_ptr<const Model> large_model() {
    static std::shared_ptr<const Model> m = Model::load_file(large_path("fsvae-large.fsvae"));
    return m;
}

EditableLayer& EditableModel::layer(const std::string& name) {
    for (auto& l : layers)
        if (l.name == name) return l;
    throw std::runtime_error("no layer " + name);
}

EditableModel editable_bundled_model() { return editable_model(FSVAE_TEST_MODEL); }

EditableModel editable_model(const std::string& path) {
    const std::vector<uint8_t> bytes = read_bytes(path);
    const auto* m = fsvae::format::GetModel(bytes.data());
    EditableModel e;
    e.schema_version = m->schema_version();
    e.variant = uint8_t(m->variant());
    e.dataset = m->dataset() ? m->dataset()->str() : "";
    e.source = m->source() ? m->source()->str() : "";
    e.time_steps = m->time_steps();
    e.k = m->k();
    e.latent_dim = m->latent_dim();
    e.vth = m->vth();
    e.tau = m->tau();
    e.readout_decay = m->readout_decay();
    e.image_channels = m->image_channels();
    e.image_height = m->image_height();
    e.image_width = m->image_width();
    for (const auto* l : *m->layers()) {
        EditableLayer x{l->name()->str(), uint8_t(l->kind()), l->in_channels(), l->in_height(),
                        l->in_width(), l->out_channels(), l->out_height(), l->out_width(),
                        l->kernel(), l->stride(), l->padding(), l->output_padding(),
                        l->spiking(), l->bn_alpha(),
                        std::vector<float>(l->weight()->begin(), l->weight()->end()),
                        std::vector<float>(l->bias()->begin(), l->bias()->end()), {}, {}};
        if (l->weight_i8()) x.weight_i8.assign(l->weight_i8()->begin(), l->weight_i8()->end());
        if (l->weight_scale())
            x.weight_scale.assign(l->weight_scale()->begin(), l->weight_scale()->end());
        e.layers.push_back(std::move(x));
    }
    return e;
}

std::vector<uint8_t> EditableModel::to_bytes() const {
    namespace fb = fsvae::format;
    flatbuffers::FlatBufferBuilder b(1 << 20);
    std::vector<flatbuffers::Offset<fb::Layer>> ls;
    for (const auto& l : layers) {
        auto name = b.CreateString(l.name);
        auto w = b.CreateVector(l.weight);
        auto bias = b.CreateVector(l.bias);
        flatbuffers::Offset<flatbuffers::Vector<int8_t>> q;
        flatbuffers::Offset<flatbuffers::Vector<float>> sc;
        if (!l.weight_i8.empty()) q = b.CreateVector(l.weight_i8);
        if (!l.weight_scale.empty()) sc = b.CreateVector(l.weight_scale);
        ls.push_back(fb::CreateLayer(b, name, fb::LayerKind(l.kind), l.in_c, l.in_h, l.in_w,
                                     l.out_c, l.out_h, l.out_w, l.kernel, l.stride, l.padding,
                                     l.output_padding, l.spiking, l.bn_alpha, w, bias, q, sc));
    }
    auto lv = b.CreateVector(ls);
    auto ds = b.CreateString(dataset);
    auto src = b.CreateString(source);
    auto root = fb::CreateModel(b, schema_version, fb::Variant(variant), ds, src, time_steps, k,
                                latent_dim, vth, tau, readout_decay, image_channels, image_height,
                                image_width, lv);
    fb::FinishModelBuffer(b, root);
    return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

TempDir::TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "fsvae-test-XXXXXX").string();
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
    path = buf.data();
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
}

}  // namespace fsvae::test
