// support.hpp: shared test fixtures: the bundled model, golden files, and a
// way to make damaged or altered model files from the real one.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../runtime/engine.hpp"
#include "../runtime/model.hpp"

namespace fsvae::test {

std::string source_path(const std::string& relative);
std::vector<uint8_t> read_bytes(const std::string& path);
// The bundled model, loaded once.
std::shared_ptr<const Model> bundled_model();
// The FSVAELarge (64x64 RGB) test model and its golden files, made at build
// time by tools/reference/make_large_model.py: large_path("generate.json").
std::string large_path(const std::string& name);
std::shared_ptr<const Model> large_model();

// A mutable copy of a model's contents, re-serialized by to_bytes(); lets a
// test build a file that differs from the real one in exactly one way.
struct EditableLayer {
    std::string name;
    uint8_t kind;
    uint32_t in_c, in_h, in_w, out_c, out_h, out_w, kernel, stride, padding, output_padding;
    bool spiking;
    float bn_alpha;
    std::vector<float> weight, bias;
    std::vector<int8_t> weight_i8;  // an int8 layer (schema version 3): weight is empty
    std::vector<float> weight_scale;
};
struct EditableModel {
    uint32_t schema_version;
    uint8_t variant;
    std::string dataset, source;
    uint32_t time_steps, k, latent_dim;
    float vth, tau, readout_decay;
    uint32_t image_channels, image_height, image_width;
    std::vector<EditableLayer> layers;
    EditableLayer& layer(const std::string& name);
    std::vector<uint8_t> to_bytes() const;
};
EditableModel editable_bundled_model();
EditableModel editable_model(const std::string& path);

// A temporary directory removed at the end of the test.
struct TempDir {
    TempDir();
    ~TempDir();
    std::string path;
    std::string file(const std::string& name) const { return path + "/" + name; }
};

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace fsvae::test
