// Loading: the bundled model loads and matches the architecture; every kind
// of bad model file gives one clear error naming the file and the problem.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "../runtime/error.hpp"
#include "support.hpp"

using namespace fsvae;
using namespace fsvae::test;

namespace {

// Loads bytes written to a file and returns the error message ("" if it loaded).
std::string load_error(const std::vector<uint8_t>& bytes, const std::string& name = "m.fsvae") {
    TempDir dir;
    const std::string path = dir.file(name);
    write_bytes(path, bytes);
    try {
        Model::load_file(path);
    } catch (const Error& e) {
        const std::string msg = e.what();
        CHECK(msg.rfind(path + ": ", 0) == 0);  // names the file first
        CHECK(msg.find('\n') == std::string::npos);
        return msg;
    }
    return "";
}

}  // namespace

TEST_CASE("model: the bundled model loads with the published architecture") {
    auto m = bundled_model();
    const ModelInfo& I = m->info();
    CHECK(I.variant == Variant::FSVAE);
    CHECK(I.time_steps == 16);
    CHECK(I.k == 20);
    CHECK(I.latent_dim == 128);
    CHECK(I.vth == 0.2f);
    CHECK(I.tau == 0.25f);
    CHECK(I.readout_decay == 0.8f);
    CHECK(I.image_channels == 1);
    CHECK(I.image_height == 32);
    CHECK(I.dataset == "fashion-mnist");
    // The checkpoint's 4,053,601 parameters (its README) less the tdBN affine
    // weight and bias folded away: 2 per BN channel, 8,544 channels.
    CHECK(m->parameter_count() == 4053601 - 2 * 8544);
    CHECK(m->layers().size() == 17);
    CHECK(m->layer(m->topology().prior[2]).spec.name == "prior.layers.2");
    CHECK(m->layer(m->topology().prior[2]).spec.bn_alpha == 2.0f);
    CHECK(m->layer(m->topology().decoder[0]).spec.bn_alpha == 1.0f);
}

TEST_CASE("model: a model in a caller's buffer is used in place") {
    const auto bytes = read_bytes(FSVAE_TEST_MODEL);
    auto m = Model::from_buffer(bytes.data(), bytes.size(), "buffer");
    const auto* w = m->layer(0).weight;
    CHECK(reinterpret_cast<const uint8_t*>(w) >= bytes.data());
    CHECK(reinterpret_cast<const uint8_t*>(w) < bytes.data() + bytes.size());
}

TEST_CASE("model: missing file") {
    TempDir dir;
    const std::string path = dir.file("absent.fsvae");
    CHECK_THROWS_WITH_AS(Model::load_file(path), (path + ": cannot open model file").c_str(), Error);
}

TEST_CASE("model: empty file") {
    CHECK(load_error({}).find("model file is empty") != std::string::npos);
}

TEST_CASE("model: truncated file") {
    auto bytes = read_bytes(FSVAE_TEST_MODEL);
    for (size_t keep : {size_t(4), size_t(100), bytes.size() / 2, bytes.size() - 16}) {
        std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + long(keep));
        const std::string msg = load_error(cut);
        INFO(keep, ": ", msg);
        CHECK((msg.find("failed verification") != std::string::npos ||
               msg.find("too short") != std::string::npos));
    }
}

TEST_CASE("model: wrong file identifier") {
    auto bytes = read_bytes(FSVAE_TEST_MODEL);
    bytes[4] = 'X';
    CHECK(load_error(bytes).find("not an fsvae model: file identifier is \"XSVA\"") !=
          std::string::npos);
    const std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};
    CHECK(load_error(png).find("not an fsvae model") != std::string::npos);
}

TEST_CASE("model: corrupted buffer") {
    auto bytes = read_bytes(FSVAE_TEST_MODEL);
    bytes[0] = 0xff;  // root table offset points outside the file
    bytes[1] = 0xff;
    bytes[2] = 0xff;
    CHECK(load_error(bytes).find("failed verification") != std::string::npos);
}

TEST_CASE("model: unsupported schema version") {
    auto e = editable_bundled_model();
    e.schema_version = 3;
    CHECK(load_error(e.to_bytes()).find("schema version 3 is not supported") != std::string::npos);
}

TEST_CASE("model: shapes inconsistent with the architecture") {
    {
        auto e = editable_bundled_model();
        e.layer("decoder.1").out_c = 65;
        CHECK(load_error(e.to_bytes()).find("layer \"decoder.1\": output shape 65x8x8 should be 64x8x8") !=
              std::string::npos);
    }
    {
        auto e = editable_bundled_model();
        e.layer("prior.layers.1").weight.pop_back();
        CHECK(load_error(e.to_bytes()).find("layer \"prior.layers.1\": weight has 131071 values, expected 131072") !=
              std::string::npos);
    }
    {
        auto e = editable_bundled_model();
        e.layers.erase(e.layers.begin() + 3);
        CHECK(load_error(e.to_bytes()).find("layer \"encoder.3\" is missing") != std::string::npos);
    }
    {
        auto e = editable_bundled_model();
        e.layers.push_back(e.layers[0]);
        e.layers.back().name = "encoder.9";
        CHECK(load_error(e.to_bytes()).find("unexpected layer \"encoder.9\"") != std::string::npos);
    }
    {
        auto e = editable_bundled_model();
        e.k = 21;  // the prior's last layer no longer has C*k outputs
        CHECK(load_error(e.to_bytes()).find("posterior.layers.2\": output shape 2560x1x1 should be 2688x1x1") !=
              std::string::npos);
    }
    {
        auto e = editable_bundled_model();
        e.image_height = 64;
        CHECK(load_error(e.to_bytes()).find("does not match variant FSVAE") != std::string::npos);
    }
}

TEST_CASE("model: NaN or infinite weights") {
    {
        auto e = editable_bundled_model();
        e.layer("decoder.0").weight[5] = std::numeric_limits<float>::quiet_NaN();
        CHECK(load_error(e.to_bytes()).find("layer \"decoder.0\": weight 5 is not finite") !=
              std::string::npos);
    }
    {
        auto e = editable_bundled_model();
        e.layer("final_layer.1").bias[0] = std::numeric_limits<float>::infinity();
        CHECK(load_error(e.to_bytes()).find("layer \"final_layer.1\": bias 0 is not finite") !=
              std::string::npos);
    }
}

TEST_CASE("model: absurd sizes are refused before anything is allocated") {
    auto e = editable_bundled_model();
    e.time_steps = 1u << 30;
    CHECK(load_error(e.to_bytes()).find("time_steps 1073741824 is out of range") != std::string::npos);
    e = editable_bundled_model();
    e.latent_dim = 4000000000u;
    CHECK(load_error(e.to_bytes()).find("latent_dim 4000000000 is out of range") != std::string::npos);
}

TEST_CASE("model: an unmodified rebuild loads (the edits above are the only faults)") {
    auto e = editable_bundled_model();
    CHECK(load_error(e.to_bytes()) == "");
}
