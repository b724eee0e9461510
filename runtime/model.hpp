// model.hpp: a loaded, validated, immutable FSVAE. Weights are read in place
// from the FlatBuffer (the file's own bytes, or a caller-owned buffer), so a
// model costs its file size and nothing more; any number of sessions on any
// number of threads may share one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "architecture.hpp"

namespace fsvae {

struct ModelInfo {
    uint32_t schema_version = 0;
    Variant variant = Variant::FSVAE;
    SamplerKind sampler = SamplerKind::FsvaeAutoregressive;  // version 1: always these two
    ReadoutKind readout = ReadoutKind::MembraneDecay;
    std::string dataset, source;
    uint32_t time_steps = 0, k = 0, latent_dim = 0;
    float vth = 0, tau = 0, readout_decay = 0;
    uint32_t image_channels = 0, image_height = 0, image_width = 0;
    size_t image_size() const { return size_t(image_channels) * image_height * image_width; }
};

struct Layer {
    LayerSpec spec;
    const float* weight = nullptr;  // spec.weight_size() floats, event-major
    const float* bias = nullptr;    // spec.bias_size() floats
    // An int8 layer (schema version 3): weight is null, weight_i8 holds
    // spec.weight_size() values in [-127, 127] in the same layout, and
    // scale spec.bias_size() per-output-channel factors.
    const int8_t* weight_i8 = nullptr;
    const float* scale = nullptr;
    bool int8() const { return weight_i8 != nullptr; }
    // Bytes its weights, scales and bias take in the file.
    size_t byte_size() const {
        return (int8() ? spec.weight_size() + 4 * spec.bias_size() : 4 * spec.weight_size()) +
               4 * spec.bias_size();
    }
};

class Model {
public:
    // The schema version this runtime writes and reads; it reads every
    // version from kOldestSchemaVersion on (version 1: FSVAE, no kinds;
    // version 2: no int8 layers).
    static constexpr uint32_t kSchemaVersion = 3;
    static constexpr uint32_t kOldestSchemaVersion = 1;

    // Limits checked at load (model.cpp says what each one guarantees).
    static constexpr uint32_t kMaxTimeSteps = 4096;
    static constexpr uint32_t kMaxK = 4096;
    static constexpr uint32_t kMaxLatent = 65536;
    static constexpr float kMaxMagnitude = 1e12f;  // |weight|, |bias|
    // The largest model, file or buffer: FlatBuffers' Verifier requires a
    // size below FLATBUFFERS_MAX_BUFFER_SIZE, 2^31 - 1.
    static constexpr uint64_t kMaxBytes = (uint64_t(1) << 31) - 2;

    // Reads and validates a model file. Throws fsvae::Error naming the file.
    // A file over kMaxBytes is refused before it is read.
    static std::shared_ptr<const Model> load_file(const std::string& path);

    // Validates a model held in a caller-owned buffer, without copying it:
    // the buffer must outlive the model. `origin` names it in error messages.
    // A size over kMaxBytes is refused before any byte is read.
    static std::shared_ptr<const Model> from_buffer(const void* data, size_t size,
                                                    const std::string& origin);

    const ModelInfo& info() const { return info_; }
    const Topology& topology() const { return topo_; }
    const std::vector<Layer>& layers() const { return layers_; }
    const Layer& layer(size_t i) const { return layers_[i]; }
    size_t parameter_count() const;
    size_t byte_size() const { return size_; }
    const std::string& origin() const { return origin_; }

private:
    Model() = default;
    void parse(const std::string& origin);

    std::vector<uint8_t> owned_;
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
    std::string origin_;
    ModelInfo info_;
    Topology topo_;
    std::vector<Layer> layers_;
};

}  // namespace fsvae
