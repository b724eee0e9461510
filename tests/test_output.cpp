// Output encoders: .npy header and data, the PNG grid like torchvision's
// make_grid + save_image, and atomic writes that leave nothing behind on failure.
#include <doctest/doctest.h>
#include <stb_image.h>

#include <cstring>
#include <filesystem>

#include "../runtime/error.hpp"
#include "../runtime/image_output.hpp"
#include "support.hpp"

using namespace fsvae;
using namespace fsvae::test;

TEST_CASE("output: .npy header and data") {
    const std::vector<float> v = {-1.0f, 0.5f, 1.0f, 0.0f, 0.25f, -0.75f};
    const auto bytes = encode_npy(v.data(), {3, 1, 1, 2});
    REQUIRE(bytes.size() > 10);
    CHECK(std::memcmp(bytes.data(), "\x93NUMPY\x01\x00", 8) == 0);
    const size_t header = bytes[8] | (size_t(bytes[9]) << 8);
    CHECK((10 + header) % 64 == 0);
    const std::string dict(bytes.begin() + 10, bytes.begin() + 10 + long(header));
    CHECK(dict.find("'descr': '<f4'") != std::string::npos);
    CHECK(dict.find("'shape': (3, 1, 1, 2)") != std::string::npos);
    CHECK(dict.back() == '\n');
    REQUIRE(bytes.size() == 10 + header + v.size() * 4);
    CHECK(std::memcmp(bytes.data() + 10 + header, v.data(), v.size() * 4) == 0);
}

TEST_CASE("output: grid layout and pixel rounding follow torchvision") {
    // 3 images of 1x2x2, nrow 2: 2 columns, 2 rows, padding 2.
    std::vector<float> imgs = {-1, 1, 0, 0.5f,  1, 1, 1, 1,  -1, -1, -1, 2};
    Grid g = make_grid(imgs.data(), 3, 1, 2, 2, 2, 2);
    CHECK(g.width == 2 * (2 + 2) + 2);
    CHECK(g.height == 2 * (2 + 2) + 2);
    auto px = [&](size_t y, size_t x) { return int(g.pixels[y * g.width + x]); };
    CHECK(px(0, 0) == 0);      // padding
    CHECK(px(2, 2) == 0);      // -1 -> 0
    CHECK(px(2, 3) == 255);    // 1 -> 255
    CHECK(px(3, 2) == 128);    // 0 -> floor(127.5 + 0.5)
    CHECK(px(3, 3) == 191);    // 0.5 -> floor(191.25 + 0.5)
    CHECK(px(2, 6) == 255);    // second image
    CHECK(px(7, 3) == 255);    // third image, value 2 clamps
    CHECK(px(7, 6) == 0);      // empty fourth cell
}

TEST_CASE("output: PNG decodes back to the grid") {
    std::vector<float> imgs(2 * 3 * 4 * 5);
    for (size_t i = 0; i < imgs.size(); ++i) imgs[i] = float(i % 17) / 8.0f - 1.0f;
    Grid g = make_grid(imgs.data(), 2, 3, 4, 5);
    const auto png = encode_png(g);
    int w, h, c;
    unsigned char* dec = stbi_load_from_memory(png.data(), int(png.size()), &w, &h, &c, 0);
    REQUIRE(dec != nullptr);
    CHECK(size_t(w) == g.width);
    CHECK(size_t(h) == g.height);
    CHECK(c == 3);
    CHECK(std::memcmp(dec, g.pixels.data(), g.pixels.size()) == 0);
    stbi_image_free(dec);
}

TEST_CASE("output: a failed write leaves no file and keeps an existing one") {
    TempDir dir;
    std::vector<float> imgs(4, 0.0f);
    const std::string missing_dir = dir.file("no/such/dir/out.npy");
    CHECK_THROWS_AS(write_images(missing_dir, imgs.data(), 1, 1, 2, 2), Error);
    CHECK(!std::filesystem::exists(missing_dir));

    const std::string existing = dir.file("keep.png");
    write_bytes(existing, {1, 2, 3});
    CHECK_THROWS_AS(write_images(dir.file("keep.txt"), imgs.data(), 1, 1, 2, 2), Error);
    CHECK(read_bytes(existing) == std::vector<uint8_t>{1, 2, 3});

    write_images(existing, imgs.data(), 1, 1, 2, 2);
    CHECK(read_bytes(existing).size() > 3);
    size_t files = 0;
    for (auto& e : std::filesystem::directory_iterator(dir.path)) files += e.is_regular_file();
    CHECK(files == 1);  // no temporary left behind
}
