// Input images: Pillow-exact bilinear resizing (against bytes recorded by
// tests/golden/make_resize_golden.py), the IDX, PNG and .npy readers on real
// and hand-made files, and a one-line error naming the file and the problem
// for every kind of damaged input.
#include <doctest/doctest.h>
#include <stb_image_write.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "../runtime/error.hpp"
#include "../runtime/image_input.hpp"
#include "../runtime/image_output.hpp"
#include "../runtime/resize.hpp"
#include "support.hpp"

using namespace fsvae;
using namespace fsvae::test;

namespace {

// Debian's dataset-fashion-mnist package, installed by scripts/setup.sh.
const std::string kFashionTest = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";

std::vector<uint8_t> base64(const std::string& s) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    std::vector<uint8_t> out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : s) {
        const int v = value(c);
        if (v < 0) continue;  // padding
        acc = (acc << 6) | uint32_t(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(uint8_t(acc >> bits));
        }
    }
    return out;
}

const nlohmann::json& golden() {
    static const nlohmann::json j = [] {
        std::ifstream in(source_path("tests/golden/resize.json"));
        REQUIRE(in);
        return nlohmann::json::parse(in);
    }();
    return j;
}

// The model input of a byte, as torchvision computes it (ToTensor, Normalize(0.5, 0.5)).
float level(uint8_t b) {
    const float x = float(b) / 255.0f;
    return (x - 0.5f) / 0.5f;
}

// Interleaved H x W x C bytes to C x H x W model inputs.
std::vector<float> planar_levels(const std::vector<uint8_t>& px, size_t c) {
    const size_t plane = px.size() / c;
    std::vector<float> out(px.size());
    for (size_t i = 0; i < plane; ++i)
        for (size_t ch = 0; ch < c; ++ch) out[ch * plane + i] = level(px[i * c + ch]);
    return out;
}

bool same_bits(const float* a, const float* b, size_t n) { return std::memcmp(a, b, n * 4) == 0; }

void put_be32(std::vector<uint8_t>& v, uint32_t x) {
    for (int s = 24; s >= 0; s -= 8) v.push_back(uint8_t(x >> s));
}

std::vector<uint8_t> idx_file(uint32_t n, uint32_t h, uint32_t w, const std::vector<uint8_t>& pixels,
                              uint32_t magic = 0x803) {
    std::vector<uint8_t> v;
    put_be32(v, magic);
    put_be32(v, n);
    put_be32(v, h);
    put_be32(v, w);
    v.insert(v.end(), pixels.begin(), pixels.end());
    return v;
}

uint32_t crc32(const std::vector<uint8_t>& data) {
    uint32_t c = 0xffffffffu;
    for (uint8_t b : data) {
        c ^= b;
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

// A gzip file of `data` in stored (uncompressed) deflate blocks: a valid
// gzip stream made without a compressor.
std::vector<uint8_t> gzip_stored(const std::vector<uint8_t>& data) {
    std::vector<uint8_t> v = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
    size_t at = 0;
    do {
        const size_t len = std::min<size_t>(data.size() - at, 65535);
        const bool last = at + len == data.size();
        v.push_back(last ? 1 : 0);
        v.push_back(uint8_t(len));
        v.push_back(uint8_t(len >> 8));
        v.push_back(uint8_t(~len));
        v.push_back(uint8_t(~len >> 8));
        v.insert(v.end(), data.begin() + long(at), data.begin() + long(at + len));
        at += len;
    } while (at < data.size());
    const uint32_t crc = crc32(data), size = uint32_t(data.size());
    for (int s = 0; s < 32; s += 8) v.push_back(uint8_t(crc >> s));
    for (int s = 0; s < 32; s += 8) v.push_back(uint8_t(size >> s));
    return v;
}

std::vector<uint8_t> npy_file(const std::string& dict, size_t data_bytes, const float* data = nullptr) {
    std::string header = dict;
    const size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';
    const uint8_t prefix[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, uint8_t(header.size()),
                                uint8_t(header.size() >> 8)};
    std::vector<uint8_t> v(10 + header.size() + data_bytes, 0);
    std::memcpy(v.data(), prefix, 10);
    std::memcpy(v.data() + 10, header.data(), header.size());
    if (data) std::memcpy(v.data() + 10 + header.size(), data, data_bytes);
    return v;
}

std::vector<uint8_t> png_file(const std::vector<uint8_t>& px, int w, int h, int c) {
    std::vector<uint8_t> out;
    auto sink = [](void* ctx, void* data, int size) {
        auto* v = static_cast<std::vector<uint8_t>*>(ctx);
        v->insert(v->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
    };
    REQUIRE(stbi_write_png_to_func(sink, &out, w, h, c, px.data(), w * c));
    return out;
}

// read_images must throw fsvae::Error with one line "<path>: ..." holding
// every part.
void expect_error(const std::string& path, const std::vector<std::string>& parts,
                  size_t channels = 1, size_t h = 32, size_t w = 32, size_t max_images = 0) {
    try {
        read_images(path, channels, h, w, max_images);
        FAIL("no error reading " << path);
    } catch (const Error& e) {
        const std::string m = e.what();
        INFO(m);
        CHECK(m.rfind(path + ": ", 0) == 0);
        CHECK(m.find('\n') == std::string::npos);
        for (const auto& p : parts) CHECK_MESSAGE(m.find(p) != std::string::npos, "missing: " << p);
    }
}

void expect_file_error(const TempDir& dir, const std::string& name, const std::vector<uint8_t>& bytes,
                       const std::vector<std::string>& parts, size_t channels = 1) {
    const std::string path = dir.file(name);
    write_bytes(path, bytes);
    expect_error(path, parts, channels);
}

}  // namespace

TEST_CASE("input: bilinear resize matches Pillow") {
    const auto& cases = golden()["cases"];
    REQUIRE(cases.size() >= 5);
    int worst = 0;
    size_t differing = 0, total = 0;
    for (const auto& c : cases) {
        const std::string name = c["name"];
        INFO(name);
        const auto src = base64(c["src"]);
        const auto want = base64(c["dst"]);
        const size_t sw = c["src_w"], sh = c["src_h"], ch = c["channels"], dw = c["dst_w"], dh = c["dst_h"];
        REQUIRE(src.size() == sw * sh * ch);
        REQUIRE(want.size() == dw * dh * ch);
        const auto got = resize_bilinear_pil(src.data(), sw, sh, ch, dw, dh);
        REQUIRE(got.size() == want.size());
        int max_diff = 0;
        for (size_t i = 0; i < got.size(); ++i) {
            const int d = std::abs(int(got[i]) - int(want[i]));
            max_diff = std::max(max_diff, d);
            differing += d != 0;
        }
        total += got.size();
        worst = std::max(worst, max_diff);
        CHECK(max_diff <= 1);  // the contract; Pillow's own arithmetic gives 0
    }
    MESSAGE("resize vs PIL over ", cases.size(), " cases: max |difference| ", worst, ", ", differing,
            " of ", total, " bytes differ");
    WARN(differing == 0);
}

TEST_CASE("input: resize of the same size is a copy, and bad sizes throw") {
    const std::vector<uint8_t> px = {1, 2, 3, 4, 5, 6};
    CHECK(resize_bilinear_pil(px.data(), 3, 2, 1, 3, 2) == px);
    CHECK_THROWS_AS(resize_bilinear_pil(px.data(), 0, 2, 1, 3, 2), Error);
    CHECK_THROWS_AS(resize_bilinear_pil(px.data(), 3, 2, 1, 0, 2), Error);
    CHECK_THROWS_AS(resize_bilinear_pil(px.data(), 3, 2, 5, 3, 2), Error);
}

TEST_CASE("input: the real Fashion-MNIST test file, as the published pipeline prepares it") {
    REQUIRE_MESSAGE(std::filesystem::exists(kFashionTest),
                    kFashionTest << " is missing: run scripts/setup.sh (package dataset-fashion-mnist)");
    const auto& cases = golden()["cases"];
    const auto want0 = base64(golden()["normalized"]["values_f32le"]);
    REQUIRE(want0.size() == 32 * 32 * 4);

    const ImageBatch b = read_images(kFashionTest, 1, 32, 32, 3);
    REQUIRE(b.n == 3);
    CHECK(b.c == 1);
    CHECK(b.h == 32);
    CHECK(b.w == 32);
    REQUIRE(b.data.size() == 3 * 32 * 32);
    // Image 0: the float32 values torch computes, bit for bit.
    CHECK(std::memcmp(b.data.data(), want0.data(), want0.size()) == 0);
    for (size_t i = 0; i < 3; ++i) {
        INFO("image ", i);
        const auto want = planar_levels(base64(cases[i]["dst"]), 1);
        CHECK(same_bits(b.data.data() + i * 1024, want.data(), 1024));
    }

    // A three-channel model gets the gray image in every channel.
    const ImageBatch rgb = read_images(kFashionTest, 3, 32, 32, 1);
    REQUIRE(rgb.n == 1);
    REQUIRE(rgb.data.size() == 3 * 1024);
    for (size_t c = 0; c < 3; ++c)
        CHECK(std::memcmp(rgb.data.data() + c * 1024, want0.data(), want0.size()) == 0);
}

TEST_CASE("input: plain and gzip IDX files, all images or a few") {
    TempDir dir;
    const auto& cases = golden()["cases"];
    std::vector<uint8_t> pixels;
    std::vector<float> want;
    for (size_t i = 0; i < 3; ++i) {
        const auto src = base64(cases[i]["src"]);
        pixels.insert(pixels.end(), src.begin(), src.end());
        const auto w = planar_levels(base64(cases[i]["dst"]), 1);
        want.insert(want.end(), w.begin(), w.end());
    }
    const auto idx = idx_file(3, 28, 28, pixels);
    write_bytes(dir.file("plain-idx3-ubyte"), idx);
    write_bytes(dir.file("stored-idx3-ubyte.gz"), gzip_stored(idx));
    for (const char* name : {"plain-idx3-ubyte", "stored-idx3-ubyte.gz"}) {
        INFO(name);
        const ImageBatch all = read_images(dir.file(name), 1, 32, 32);
        REQUIRE(all.n == 3);
        REQUIRE(all.data.size() == want.size());
        CHECK(same_bits(all.data.data(), want.data(), want.size()));
        const ImageBatch two = read_images(dir.file(name), 1, 32, 32, 2);
        REQUIRE(two.n == 2);
        CHECK(same_bits(two.data.data(), want.data(), 2 * 1024));
    }
    // No resize when the sizes agree: each byte maps straight to its level.
    const ImageBatch same = read_images(dir.file("plain-idx3-ubyte"), 1, 28, 28, 1);
    REQUIRE(same.data.size() == 784);
    const auto ref = planar_levels(std::vector<uint8_t>(pixels.begin(), pixels.begin() + 784), 1);
    CHECK(same_bits(same.data.data(), ref.data(), 784));
    CHECK(level(0) == -1.0f);
    CHECK(level(255) == 1.0f);
}

TEST_CASE("input: PNG gray, gray+alpha, RGB and RGBA for one- and three-channel models") {
    TempDir dir;
    const auto& g = golden();
    const auto fm = base64(g["cases"][0]["src"]);
    const auto want0 = base64(g["normalized"]["values_f32le"]);
    const float* want0f = reinterpret_cast<const float*>(want0.data());

    write_bytes(dir.file("gray.png"), png_file(fm, 28, 28, 1));
    const ImageBatch gray = read_images(dir.file("gray.png"), 1, 32, 32);
    REQUIRE(gray.n == 1);
    REQUIRE(gray.data.size() == 1024);
    CHECK(same_bits(gray.data.data(), want0f, 1024));

    const ImageBatch gray3 = read_images(dir.file("gray.png"), 3, 32, 32, 5);
    REQUIRE(gray3.n == 1);
    REQUIRE(gray3.data.size() == 3 * 1024);
    for (size_t c = 0; c < 3; ++c) CHECK(same_bits(gray3.data.data() + c * 1024, want0f, 1024));

    // Alpha is dropped, whatever it holds.
    std::vector<uint8_t> la;
    for (size_t i = 0; i < fm.size(); ++i) {
        la.push_back(fm[i]);
        la.push_back(uint8_t(i * 37));
    }
    write_bytes(dir.file("gray-alpha.png"), png_file(la, 28, 28, 2));
    const ImageBatch ga = read_images(dir.file("gray-alpha.png"), 1, 32, 32);
    REQUIRE(ga.data.size() == 1024);
    CHECK(same_bits(ga.data.data(), want0f, 1024));

    // RGB to a three-channel model: PIL's resize of each channel.
    const auto& rgb_case = g["cases"][6];
    REQUIRE(rgb_case["channels"] == 3);
    const auto rgb_src = base64(rgb_case["src"]);
    const auto rgb_want = planar_levels(base64(rgb_case["dst"]), 3);
    write_bytes(dir.file("rgb.png"), png_file(rgb_src, 20, 20, 3));
    const ImageBatch rgb = read_images(dir.file("rgb.png"), 3, 64, 64);
    REQUIRE(rgb.data.size() == rgb_want.size());
    CHECK(same_bits(rgb.data.data(), rgb_want.data(), rgb_want.size()));

    std::vector<uint8_t> rgba;
    for (size_t i = 0; i < rgb_src.size(); i += 3) {
        rgba.insert(rgba.end(), rgb_src.begin() + long(i), rgb_src.begin() + long(i + 3));
        rgba.push_back(uint8_t(i));
    }
    write_bytes(dir.file("rgba.png"), png_file(rgba, 20, 20, 4));
    const ImageBatch rgba_b = read_images(dir.file("rgba.png"), 3, 64, 64);
    REQUIRE(rgba_b.data.size() == rgb_want.size());
    CHECK(same_bits(rgba_b.data.data(), rgb_want.data(), rgb_want.size()));

    // RGB to a one-channel model: PIL's convert("L"), then its resize.
    const auto& to_gray = g["rgb_to_gray"];
    const auto tg_want = planar_levels(base64(to_gray["dst"]), 1);
    write_bytes(dir.file("rgb-to-gray.png"), png_file(base64(to_gray["src"]), 10, 12, 3));
    const ImageBatch tg = read_images(dir.file("rgb-to-gray.png"), 1, 32, 32);
    REQUIRE(tg.data.size() == tg_want.size());
    CHECK(same_bits(tg.data.data(), tg_want.data(), tg_want.size()));
}

TEST_CASE("input: 16-bit PNGs are reduced to 8 bits as Pillow does") {
    // Pillow opens 16-bit gray as mode "I" and clips it at 255 when it
    // converts; other 16-bit colour types it reads by their high byte.
    for (const auto& c : golden()["png16"]) {
        CAPTURE(c["name"].get<std::string>());
        const auto png = base64(c["png"]);
        const auto gray_want = planar_levels(base64(c["dst_gray"]), 1);
        const ImageBatch gray = read_images_from_memory(png.data(), png.size(), "a.png", 1, 32, 32);
        REQUIRE(gray.data.size() == gray_want.size());
        CHECK(same_bits(gray.data.data(), gray_want.data(), gray_want.size()));
        const auto rgb_want = planar_levels(base64(c["dst_rgb"]), 3);
        const ImageBatch rgb = read_images_from_memory(png.data(), png.size(), "a.png", 3, 32, 32);
        REQUIRE(rgb.data.size() == rgb_want.size());
        CHECK(same_bits(rgb.data.data(), rgb_want.data(), rgb_want.size()));
    }
}

TEST_CASE("input: .npy round trip") {
    TempDir dir;
    std::vector<float> v(3 * 3 * 4 * 5);
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(i % 41) / 20.0f - 1.0f;
    v[7] = -1.0f;
    v[8] = 1.0f;
    write_bytes(dir.file("x.npy"), encode_npy(v.data(), {3, 3, 4, 5}));
    const ImageBatch all = read_images(dir.file("x.npy"), 3, 4, 5);
    CHECK(all.n == 3);
    CHECK(all.c == 3);
    CHECK(all.h == 4);
    CHECK(all.w == 5);
    REQUIRE(all.data.size() == v.size());
    CHECK(same_bits(all.data.data(), v.data(), v.size()));
    const ImageBatch one = read_images(dir.file("x.npy"), 3, 4, 5, 1);
    CHECK(one.n == 1);
    REQUIRE(one.data.size() == 60);
    CHECK(same_bits(one.data.data(), v.data(), 60));

    // Version 2.0 headers (4-byte length) too.
    auto v1 = encode_npy(v.data(), {3, 3, 4, 5});
    const size_t hl = v1[8] | size_t(v1[9]) << 8;
    std::vector<uint8_t> v2(v1.begin(), v1.begin() + 8);
    v2[6] = 2;
    // Keep the data 64-byte aligned: the 2 extra length bytes come off the padding.
    std::string dict(v1.begin() + 10, v1.begin() + 10 + long(hl));
    dict.erase(dict.size() - 3, 2);
    for (int s = 0; s < 32; s += 8) v2.push_back(uint8_t(dict.size() >> s));
    v2.insert(v2.end(), dict.begin(), dict.end());
    v2.insert(v2.end(), v1.begin() + 10 + long(hl), v1.end());
    write_bytes(dir.file("v2.npy"), v2);
    const ImageBatch b2 = read_images(dir.file("v2.npy"), 3, 4, 5);
    REQUIRE(b2.data.size() == v.size());
    CHECK(same_bits(b2.data.data(), v.data(), v.size()));
}

TEST_CASE("input: missing, empty, unreadable and unknown files") {
    TempDir dir;
    expect_error(dir.file("missing.png"), {"cannot open", "No such file"});
    expect_error(dir.path, {"is a directory"});
    expect_file_error(dir, "empty-idx3-ubyte", {}, {"empty file"});
    expect_file_error(dir, "pic.gif", {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0},
                      {"unknown image format", "47 49 46 38 39 61 01 00"});
    expect_file_error(dir, "tiny", {'x'}, {"unknown image format", "78"});
    write_bytes(dir.file("ok.npy"), npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 2, 2), }", 16));
    expect_error(dir.file("ok.npy"), {"model expects 2 channels"}, 2, 2, 2);
}

TEST_CASE("input: damaged IDX files") {
    TempDir dir;
    std::vector<uint8_t> px(100, 7);
    expect_file_error(dir, "short-header", {0, 0, 8, 3, 0, 0}, {"truncated IDX header", "6 of 16 bytes"});
    expect_file_error(dir, "short-pixels", idx_file(10, 28, 28, px),
                      {"truncated: header says 10 images of 28x28 but the file holds 100 bytes of pixels"});
    expect_file_error(dir, "long-pixels", idx_file(1, 5, 5, std::vector<uint8_t>(30, 1)),
                      {"header says 1 images of 5x5", "holds 30 bytes of pixels"});
    expect_file_error(dir, "labels", idx_file(10, 0, 0, {}, 0x801), {"IDX magic 0x00000801", "expected 0x00000803"});
    expect_file_error(dir, "rank4", idx_file(1, 1, 1, {0, 0, 0, 0}, 0x804), {"IDX magic 0x00000804", "rank 4"});
    expect_file_error(dir, "floats", idx_file(1, 1, 1, {0, 0, 0, 0}, 0xD03), {"IDX magic 0x00000d03", "32-bit floats"});
    expect_file_error(dir, "no-images", idx_file(0, 28, 28, {}), {"0 images"});
    expect_file_error(dir, "no-size", idx_file(5, 0, 28, {}), {"images are 0x28 pixels"});
    expect_file_error(dir, "overflow", idx_file(0xffffffffu, 0xffffffffu, 0xffffffffu, px), {"overflow"});

    // A header claiming 2^31 images must be refused from the file size alone.
    const auto t0 = std::chrono::steady_clock::now();
    expect_file_error(dir, "huge-idx3-ubyte", idx_file(0x80000000u, 28, 28, px),
                      {"truncated: header says 2147483648 images of 28x28 but the file holds 100 bytes"});
    expect_file_error(dir, "huge-idx3-ubyte.gz", gzip_stored(idx_file(0x80000000u, 28, 28, px)),
                      {"header says 2147483648 images of 28x28", "more than a", "gzip file can hold"});
    // Even when only a few images are asked for.
    const std::string huge = dir.file("huge-idx3-ubyte");
    expect_error(huge, {"truncated"}, 1, 32, 32, 3);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(seconds < 1.0);
}

TEST_CASE("input: damaged gzip data") {
    TempDir dir;
    const auto idx = idx_file(2, 28, 28, std::vector<uint8_t>(2 * 784, 9));
    const auto gz = gzip_stored(idx);

    std::vector<uint8_t> garbage = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
    for (int i = 0; i < 200; ++i) garbage.push_back(uint8_t(i * 73 + 0xd1));
    garbage[10] = 0xff;  // BTYPE 11: an invalid deflate block type
    expect_file_error(dir, "garbage.gz", garbage, {"corrupt gzip data"});

    expect_file_error(dir, "cut-in-header.gz", std::vector<uint8_t>(gz.begin(), gz.begin() + 20),
                      {"truncated gzip data"});
    expect_file_error(dir, "cut-in-pixels.gz", std::vector<uint8_t>(gz.begin(), gz.begin() + 1000),
                      {"truncated gzip data"});

    auto bad_crc = gz;
    bad_crc[bad_crc.size() - 8] ^= 0xff;
    expect_file_error(dir, "bad-crc.gz", bad_crc, {"corrupt gzip data", "incorrect data check"});

    // The gzip holds something other than IDX.
    expect_file_error(dir, "text.gz", gzip_stored({'h', 'e', 'l', 'l', 'o', '!'}),
                      {"not an IDX file", "68 65 6c 6c"});

    // Pixels short of the header's count inside an intact gzip stream.
    expect_file_error(dir, "short-idx3-ubyte.gz", gzip_stored(idx_file(3, 28, 28, std::vector<uint8_t>(800, 1))),
                      {"truncated: header says 3 images of 28x28 but the gzip data holds 800 bytes of pixels"});
}

TEST_CASE("input: damaged PNG files") {
    TempDir dir;
    std::vector<uint8_t> garbage = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    for (int i = 0; i < 64; ++i) garbage.push_back(uint8_t(i * 59 + 3));
    expect_file_error(dir, "garbage.png", garbage, {"malformed", "PNG"});

    std::vector<uint8_t> px(40 * 30 * 3);
    for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t(i * 2654435761u >> 13);
    const auto png = png_file(px, 40, 30, 3);
    expect_file_error(dir, "truncated.png", std::vector<uint8_t>(png.begin(), png.begin() + long(png.size() / 2)),
                      {"malformed or truncated PNG"}, 3);
    expect_file_error(dir, "signature-only.png", std::vector<uint8_t>(png.begin(), png.begin() + 8),
                      {"malformed PNG"}, 3);
}

TEST_CASE("input: .npy files the model cannot take") {
    TempDir dir;
    const std::string shape = "'shape': (2, 1, 32, 32), }";
    expect_file_error(dir, "f8.npy", npy_file("{'descr': '<f8', 'fortran_order': False, " + shape, 2 * 1024 * 8),
                      {".npy dtype is '<f8'", "only '<f4'"});
    expect_file_error(dir, "big-endian.npy", npy_file("{'descr': '>f4', 'fortran_order': False, " + shape, 8192),
                      {"dtype is '>f4'"});
    expect_file_error(dir, "fortran.npy", npy_file("{'descr': '<f4', 'fortran_order': True, " + shape, 8192),
                      {"Fortran order"});
    expect_file_error(dir, "rank3.npy",
                      npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 32, 32), }", 4096),
                      {".npy shape (1, 32, 32) has 3 dimensions", "(N, C, H, W)"});
    expect_file_error(dir, "rank1.npy",
                      npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", 16),
                      {".npy shape (4,) has 1 dimensions"});
    expect_file_error(dir, "rgb.npy",
                      npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }", 3 * 4096),
                      {"has 3 channels but the model expects 1"});
    expect_file_error(dir, "small.npy",
                      npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 28, 28), }", 784 * 4),
                      {"holds 28x28 images but the model expects 32x32", "not resized"});
    expect_file_error(dir, "short.npy", npy_file("{'descr': '<f4', 'fortran_order': False, " + shape, 100),
                      {"truncated: .npy shape (2, 1, 32, 32) needs 8192 bytes of data but the file holds 100"});
    expect_file_error(dir, "huge.npy",
                      npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2147483648, 1, 32, 32), }", 64),
                      {"truncated: .npy shape (2147483648, 1, 32, 32) needs"});
    expect_file_error(dir, "no-images.npy",
                      npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1, 32, 32), }", 0),
                      {"holds 0 images"});
    expect_file_error(dir, "no-shape.npy", npy_file("{'descr': '<f4', 'fortran_order': False, }", 0),
                      {"malformed .npy header", "'shape'"});
    expect_file_error(dir, "bad-dict.npy", npy_file("{'descr': '<f4', 'fortran_order': Maybe, " + shape, 8192),
                      {"malformed .npy header"});
    auto cut_header = npy_file("{'descr': '<f4', 'fortran_order': False, " + shape, 0);
    cut_header.resize(40);
    expect_file_error(dir, "cut-header.npy", cut_header, {"truncated .npy header"});
    auto v3 = npy_file("{'descr': '<f4', 'fortran_order': False, " + shape, 8192);
    v3[6] = 3;
    expect_file_error(dir, "v3.npy", v3, {"version 3.0"});

    std::vector<float> v(2 * 1024, 0.25f);
    v[1024 + 2 * 32 + 5] = 1.5f;
    expect_file_error(dir, "range.npy", encode_npy(v.data(), {2, 1, 32, 32}),
                      {"value at [1, 0, 2, 5] is 1.5", "within [-1, 1]"});
    v[1024 + 2 * 32 + 5] = 0.0f;
    v[3] = std::numeric_limits<float>::quiet_NaN();
    expect_file_error(dir, "nan.npy", encode_npy(v.data(), {2, 1, 32, 32}), {"value at [0, 0, 0, 3] is nan"});
    v[3] = -std::numeric_limits<float>::infinity();
    expect_file_error(dir, "inf.npy", encode_npy(v.data(), {2, 1, 32, 32}), {"is -inf"});
}
