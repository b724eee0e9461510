// Loading: the bundled model loads and matches the architecture; every kind
// of bad model file gives one clear error naming the file and the problem;
// and a model at the load limits runs without overflow.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "../runtime/error.hpp"
#include "../runtime/propagate.hpp"
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
    e.schema_version = 4;
    CHECK(load_error(e.to_bytes()).find("schema version 4 is not supported") != std::string::npos);
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

namespace {

// Every weight and bias of layer `name` set to v.
void fill_layer(EditableModel& e, const std::string& name, float weight, float bias) {
    for (float& w : e.layer(name).weight) w = weight;
    for (float& b : e.layer(name).bias) b = bias;
}

}  // namespace

// The sums that model.cpp bounds (see kMaxMagnitude there), at the limits:
// every weight and bias at +-kMaxMagnitude, tau and the readout decay 1 (no
// leak), the most steps.
TEST_CASE("model: the largest membrane the load limits allow stays finite") {
    // The largest fan-in any layer can have is posterior.layers.0's,
    // 2 x kMaxLatent inputs. With every input firing at every step and every
    // weight and bias at -M, the layer never fires, so its membranes only
    // grow: after T steps u = -(T (F + 1) + 1) M (first_leak adds a bias).
    // A model of that size (latent_dim 65536: 1.5 GB) is too large to build
    // here; the layer alone is the same sum.
    constexpr float M = Model::kMaxMagnitude;
    constexpr uint32_t T = Model::kMaxTimeSteps;
    LayerSpec s;
    s.name = "widest";
    s.in = {2 * Model::kMaxLatent};
    s.out = {8};
    std::vector<float> w(s.weight_size(), -M), b(s.bias_size(), -M);
    Layer L;
    L.spec = s;
    L.weight = w.data();
    L.bias = b.data();
    std::vector<uint32_t> events(s.in.size()), fired(s.out.size());
    for (uint32_t i = 0; i < events.size(); ++i) events[i] = i;
    std::vector<float> u(s.out.size(), 0.0f);
    const kernels::KernelTable& K = kernels::select_kernels();
    first_leak(L, K, 1.0f, u.data());
    uint64_t ops = 0;
    for (uint32_t t = 0; t < T; ++t)
        CHECK(lif_step(L, K, 1.0f, 0.2f, u.data(), events.data(), events.size(), fired.data(),
                       PairScratch{}, &ops) == 0);
    const double exact = -(double(T) * double(s.in.size() + 1) + 1) * double(M);
    for (float x : u) {
        CHECK(std::isfinite(x));
        // In fact the float sum stalls short of the exact one: once the
        // membrane passes 2^25 M, adding M rounds back to it.
        CHECK(double(x) < 0);
        CHECK(double(x) >= exact);
    }
    MESSAGE("the largest membrane: ", u[0], " (exactly ", exact, ")");
}

TEST_CASE("model: a model with every weight at the load limit generates finite images") {
    // The bundled model's shapes with the most steps, no leak, every weight
    // and bias at +-M, signs chosen so that the sums are as large as they
    // can get: decoder_input and final_layer.0 fire at every step (bias +M),
    // decoder.0 takes all of decoder_input's spikes with -M and never fires
    // (its membranes reach -T x 1025 x M), and the image layer adds +M on
    // some taps and -M on others, so that two overflowing planes would make
    // inf - inf, a NaN pixel. The prior fires (prior.layers.0) into a layer
    // that never does, and z stays 0.
    constexpr float M = Model::kMaxMagnitude;
    auto e = editable_bundled_model();
    e.time_steps = Model::kMaxTimeSteps;
    e.tau = 1.0f;
    e.readout_decay = 1.0f;
    for (auto& l : e.layers) fill_layer(e, l.name, -M, -M);
    fill_layer(e, "prior.layers.0", M, M);
    fill_layer(e, "decoder_input", M, M);
    fill_layer(e, "final_layer.0", M, M);
    auto& image_layer = e.layer("final_layer.1");
    for (size_t i = 0; i < image_layer.weight.size(); ++i)
        image_layer.weight[i] = (i / image_layer.out_c) % 2 ? M : -M;  // alternate taps
    for (float& b : image_layer.bias) b = M;
    const auto bytes = e.to_bytes();
    auto model = Model::from_buffer(bytes.data(), bytes.size(), "worst case");
    Engine engine(model);
    Workspace ws(engine);
    std::vector<float> out(model->info().image_size());
    ImageTrace trace;
    ws.generate(ChoiceSource(1, 0, model->info().k, model->info().latent_dim), out.data(), &trace);
    size_t finite = 0;
    for (float x : out) finite += std::isfinite(x);
    CHECK(finite == out.size());
    const Topology& topo = model->topology();
    const uint32_t steps = model->info().time_steps;
    CHECK(trace.spikes[topo.final0 * steps + steps - 1] == 32u * 32u * 32u);  // all fired
    CHECK(trace.spikes[topo.decoder[0] * steps + steps - 1] == 0u);
}
