// Bad inputs the other suites do not cover (see docs/robustness.md for the
// whole table): model paths that are not readable files, metadata out of
// range, buffers the loader cannot use in place or too large to verify,
// event lists out of order, images too large to decode, and the in-memory
// image reader agreeing with the file reader.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "../runtime/error.hpp"
#include "../runtime/image_input.hpp"
#include "../runtime/propagate.hpp"
#include "support.hpp"
#include "unprivileged.hpp"

using namespace fsvae;
using namespace fsvae::test;

namespace {

std::string load_error(const std::string& path) {
    try {
        Model::load_file(path);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

std::string load_error(const std::vector<uint8_t>& bytes) {
    TempDir dir;
    write_bytes(dir.file("m.fsvae"), bytes);
    const std::string msg = load_error(dir.file("m.fsvae"));
    const std::string prefix = dir.file("m.fsvae") + ": ";
    CHECK(msg.rfind(prefix, 0) == 0);
    return msg.substr(std::min(msg.size(), prefix.size()));
}

std::string read_error(const std::string& path, size_t channels = 1) {
    try {
        read_images(path, channels, 32, 32);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("bad model: a directory") {
    TempDir dir;
    CHECK(load_error(dir.path) == dir.path + ": is a directory, not a model file");
}

TEST_CASE("bad model: an unreadable file, as a user without permission") {
    TempDir dir;
    let_others_through(dir.path);
    const std::string locked = dir.file("locked.fsvae");
    write_bytes(locked, read_bytes(FSVAE_TEST_MODEL));
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    const UnprivilegedRun r = run_unprivileged(locked, R_OK, [&] { return load_error(locked); });
    if (!r.ran) {
        MESSAGE("SKIPPED: " << r.why);
        return;
    }
    CHECK(r.result == locked + ": cannot open model file");
}

TEST_CASE("bad model: metadata out of range") {
    {
        auto e = editable_bundled_model();
        e.image_channels = 2;
        CHECK(load_error(e.to_bytes()) == "image_channels 2 is not 1 or 3");
    }
    {
        auto e = editable_bundled_model();
        e.vth = std::numeric_limits<float>::quiet_NaN();
        CHECK(load_error(e.to_bytes()) == "vth, tau or readout_decay is not finite");
    }
    {
        auto e = editable_bundled_model();
        e.tau = 1.5f;
        CHECK(load_error(e.to_bytes()) == "tau 1.500000 is outside [0, 1]");
    }
    {
        // Accepted before: the readout sum grew as 400^t, overflowed, and
        // `fsvae generate` wrote NaN images and exited 0.
        auto e = editable_bundled_model();
        e.readout_decay = 400.0f;
        CHECK(load_error(e.to_bytes()) == "readout_decay 400.000000 is outside [0, 1]");
        e.readout_decay = -0.5f;
        CHECK(load_error(e.to_bytes()) == "readout_decay -0.500000 is outside [0, 1]");
    }
    {
        // A neuron at rest (u = 0) must not fire.
        auto e = editable_bundled_model();
        e.vth = 0.0f;
        CHECK(load_error(e.to_bytes()) == "vth 0.000000 is not positive");
        e.vth = -1.0f;
        CHECK(load_error(e.to_bytes()) == "vth -1.000000 is not positive");
    }
    {
        auto e = editable_bundled_model();
        e.variant = 7;
        CHECK(load_error(e.to_bytes()) == "unknown model variant 7");
    }
    {
        auto e = editable_bundled_model();
        e.k = 0;
        CHECK(load_error(e.to_bytes()) == "k 0 is out of range 1..4096");
    }
    {
        auto e = editable_bundled_model();
        e.layers.push_back(e.layers[2]);
        CHECK(load_error(e.to_bytes()) == "layer \"encoder.2\" appears twice");
    }
}

TEST_CASE("bad model: finite weights too large for the step loop to sum") {
    // Accepted before: with these, every pixel of a generated image was NaN
    // (the readout current overflows to inf, then 0 * inf at the next step).
    auto e = editable_bundled_model();
    e.readout_decay = 0.0f;
    for (float& w : e.layer("final_layer.1").weight) w = 3e38f;
    CHECK(load_error(e.to_bytes()) ==
          "layer \"final_layer.1\": weight 0 is 3e+38, beyond the +-1e12 within which no sum of "
          "the step loop can overflow");
    e = editable_bundled_model();
    e.layer("prior.layers.0").bias[3] = -2e20f;
    CHECK(load_error(e.to_bytes()).find("layer \"prior.layers.0\": bias 3 is -2e+20, beyond") == 0);
}

TEST_CASE("bad model: a caller's buffer must be aligned for in-place use") {
    const auto bytes = read_bytes(FSVAE_TEST_MODEL);
    std::vector<uint8_t> shifted(bytes.size() + 1);
    std::memcpy(shifted.data() + 1, bytes.data(), bytes.size());
    CHECK_THROWS_WITH_AS(Model::from_buffer(shifted.data() + 1, bytes.size(), "buf"),
                         "buf: model buffer is not 4-byte aligned; FlatBuffers reads it in place",
                         Error);
    CHECK_THROWS_WITH_AS(Model::from_buffer(nullptr, 10, "buf"), "buf: model buffer is empty", Error);
}

TEST_CASE("bad model: a buffer or file over the FlatBuffers limit is refused before it is read") {
    // FlatBuffers' Verifier requires a size below 2^31 - 1 (an assertion, so
    // a release build would go on). The size is checked before any byte is
    // read: the real model's bytes stand for a buffer claimed to be larger.
    const auto bytes = read_bytes(FSVAE_TEST_MODEL);
    CHECK(Model::kMaxBytes == 2147483646u);
    CHECK_THROWS_WITH_AS(Model::from_buffer(bytes.data(), size_t(Model::kMaxBytes) + 1, "buf"),
                         "buf: model buffer is 2147483647 bytes, over the FlatBuffers limit of "
                         "2147483646",
                         Error);
    CHECK_THROWS_WITH_AS(Model::from_buffer(bytes.data(), size_t(1) << 32, "buf"),
                         "buf: model buffer is larger than 2 GiB, the FlatBuffers limit", Error);
    // Files of exactly 2^31 and 2^31 - 1 bytes (sparse: no disk used). The
    // first was accepted before, and read into 2 GiB of memory.
    TempDir dir;
    for (uint64_t size : {uint64_t(1) << 31, (uint64_t(1) << 31) - 1}) {
        const std::string path = dir.file("big.fsvae");
        write_bytes(path, bytes);
        REQUIRE(truncate(path.c_str(), off_t(size)) == 0);
        CHECK(load_error(path) == path + ": model file is " + std::to_string(size) +
                                      " bytes, over the FlatBuffers limit of 2147483646");
    }
}

TEST_CASE("bad image: a workspace refuses to reconstruct values outside [-1, 1]") {
    // The image readers give values in [-1, 1]; a caller's own array must be
    // too, or the bound on the step loop's sums (model.cpp) does not hold.
    // Accepted before.
    auto model = bundled_model();
    const Engine engine(model);
    Workspace ws(engine);
    const ModelInfo& I = model->info();
    std::vector<float> image(I.image_size(), 0.5f), out(I.image_size());
    const ChoiceSource choices(1, 0, I.k, I.latent_dim);
    image[3] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH_AS(ws.reconstruct(image.data(), choices, out.data()),
                         "image to reconstruct: value 3 is nan; values must be within [-1, 1]",
                         Error);
    image[3] = 1.5f;
    CHECK_THROWS_WITH_AS(ws.reconstruct(image.data(), choices, out.data()),
                         "image to reconstruct: value 3 is 1.5; values must be within [-1, 1]",
                         Error);
    image[3] = -1.0f;
    ws.reconstruct(image.data(), choices, out.data());
    for (float x : out) CHECK(std::isfinite(x));
}

TEST_CASE("bad events: propagate_events refuses events that are not strictly increasing") {
    // The scratch lists one pixel's channels (in.c entries): an index twice
    // would list more; an event list out of order would change the order of
    // additions. Accepted before.
    auto model = bundled_model();
    const kernels::KernelTable& K = kernels::scalar_kernels();
    const Layer& L = model->layer(model->topology().decoder[0]);  // a transposed convolution
    const LayerSpec& s = L.spec;
    std::vector<uint32_t> dst(max_pairs(s, false)), src(dst.size()), len(dst.size()), chan(s.in.c);
    std::vector<float> scale(dst.size()), target(s.out.size());
    const PairScratch sc{dst.data(), src.data(), len.data(), scale.data(), chan.data()};
    const std::vector<uint32_t> unsorted = {0, 300, 5}, twice = {2, 7, 7},
                                beyond = {3, uint32_t(s.in.size())};
    CHECK_THROWS_WITH_AS(propagate_events(L, K, unsorted.data(), unsorted.size(), target.data(), sc),
                         "layer \"decoder.0\": event 2 (input 5) does not follow event 1 (input "
                         "300); events must be strictly increasing",
                         Error);
    CHECK_THROWS_WITH_AS(propagate_events(L, K, twice.data(), twice.size(), target.data(), sc),
                         "layer \"decoder.0\": event 2 (input 7) does not follow event 1 (input "
                         "7); events must be strictly increasing",
                         Error);
    CHECK_THROWS_WITH_AS(propagate_events(L, K, beyond.data(), beyond.size(), target.data(), sc),
                         "layer \"decoder.0\": event 1 (input 1024) is past the layer's 1024 inputs",
                         Error);
    std::vector<float> values(s.in.size() + 1);  // + 1: what the unchecked version wrote
    CHECK_THROWS_AS(propagate_dense(L, K, beyond.data(), beyond.size(), target.data(), sc,
                                    values.data()),
                    Error);
    const std::vector<uint32_t> sorted = {0, 5, 300};
    CHECK(propagate_events(L, K, sorted.data(), sorted.size(), target.data(), sc) > 0);
}

TEST_CASE("bad image: too large to decode, unreadable, or not a file") {
    TempDir dir;
    // A PNG header claiming 20000 x 20000 pixels: refused from the header alone.
    const std::vector<uint8_t> huge = {
        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
        0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20, 8, 0, 0, 0, 0, 0, 0, 0, 0};
    write_bytes(dir.file("huge.png"), huge);
    CHECK(read_error(dir.file("huge.png")) ==
          dir.file("huge.png") + ": PNG is 20000x20000, over the limit of 67108864 pixels");

    // A chunk claiming 1.2 GB in a 60-byte file: refused before stb_image
    // allocates for it (found by fuzzing: it asked for 2 GiB).
    std::vector<uint8_t> long_chunk(huge.begin(), huge.end());
    long_chunk[18] = long_chunk[22] = 0;  // 0x20 x 0x20 pixels
    const uint8_t idat[] = {0x4c, 0x5a, 0x49, 0x44, 'I', 'D', 'A', 'T', 'x', 0xda, 0x63, 0x60};
    long_chunk.insert(long_chunk.end(), std::begin(idat), std::end(idat));
    write_bytes(dir.file("long-chunk.png"), long_chunk);
    CHECK(read_error(dir.file("long-chunk.png")) ==
          dir.file("long-chunk.png") +
              ": malformed or truncated PNG (IDAT chunk of 1280985412 bytes runs past the end of the file)");
}

TEST_CASE("bad image: an unreadable file, as a user without permission") {
    TempDir dir;
    let_others_through(dir.path);
    const std::string locked = dir.file("locked.png");
    write_bytes(locked, {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    const UnprivilegedRun r = run_unprivileged(locked, R_OK, [&] { return read_error(locked); });
    if (!r.ran) {
        MESSAGE("SKIPPED: " << r.why);
        return;
    }
    CHECK(r.result == locked + ": cannot open: " + std::strerror(EACCES));
}

TEST_CASE("bad image: a PNG signature that is not whole says so") {
    TempDir dir;
    std::vector<uint8_t> fake(34, 0x40);
    const uint8_t start[8] = {0x89, 'P', 'N', 'G', 0, 2, 0, 0};
    std::copy(std::begin(start), std::end(start), fake.begin());
    write_bytes(dir.file("fake.png"), fake);
    CHECK(read_error(dir.file("fake.png")) ==
          dir.file("fake.png") + ": malformed PNG (bad signature: 89 50 4e 47 00 02 00 00)");
}

TEST_CASE("input: reading from memory gives what reading the file gives") {
    // Every seed of the image fuzz targets: valid files of each variant and
    // a few refused ones.
    size_t files = 0;
    for (const char* target : {"idx", "png", "npy"}) {
        const std::string dir = source_path(std::string("tests/fuzz/corpus/") + target);
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            const std::string path = entry.path().string();
            const auto bytes = read_bytes(path);
            INFO(path);
            for (size_t c : {size_t(1), size_t(3)}) {
                std::string file_msg, mem_msg;
                ImageBatch a, b;
                try {
                    a = read_images(path, c, 32, 32);
                } catch (const Error& e) {
                    file_msg = e.what();
                }
                try {
                    b = read_images_from_memory(bytes.data(), bytes.size(), path, c, 32, 32);
                } catch (const Error& e) {
                    mem_msg = e.what();
                }
                CHECK(file_msg == mem_msg);
                CHECK(a.n == b.n);
                CHECK(a.data == b.data);
            }
            ++files;
        }
    }
    CHECK(files > 20);
    CHECK_THROWS_WITH_AS(read_images_from_memory(nullptr, 0, "mem", 1, 32, 32), "mem: empty file", Error);
}
