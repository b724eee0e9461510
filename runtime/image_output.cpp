// image_output.cpp: .npy and PNG grid encoders (PNG through stb_image_write).
#include "image_output.hpp"

#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "atomic_file.hpp"
#include "error.hpp"

namespace fsvae {
namespace {

bool ends_with(const std::string& s, const char* suffix) {
    const size_t n = std::strlen(suffix);
    if (s.size() < n) return false;
    for (size_t i = 0; i < n; ++i)
        if (std::tolower(static_cast<unsigned char>(s[s.size() - n + i])) != suffix[i]) return false;
    return true;
}

}  // namespace

std::vector<uint8_t> encode_npy(const float* data, const std::vector<size_t>& shape) {
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
    size_t count = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
        dict += std::to_string(shape[i]);
        dict += (shape.size() == 1 || i + 1 < shape.size()) ? "," : "";
        if (i + 1 < shape.size()) dict += " ";
        count *= shape[i];
    }
    dict += "), }";
    // Header (magic 6 + version 2 + length 2 + dict) padded to 64 bytes, ending in '\n'.
    const size_t unpadded = 10 + dict.size() + 1;
    dict.append((64 - unpadded % 64) % 64, ' ');
    dict += '\n';
    std::vector<uint8_t> out;
    out.reserve(10 + dict.size() + count * 4);
    const uint8_t magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    out.insert(out.end(), magic, magic + 8);
    out.push_back(uint8_t(dict.size() & 0xff));
    out.push_back(uint8_t(dict.size() >> 8));
    out.insert(out.end(), dict.begin(), dict.end());
    const size_t at = out.size();
    out.resize(at + count * 4);
    // Little-endian float32, as 'descr' says (every supported target is little-endian).
    std::memcpy(out.data() + at, data, count * 4);
    return out;
}

Grid make_grid(const float* images, size_t n, size_t c, size_t h, size_t w, size_t nrow,
               size_t padding) {
    Grid g;
    const size_t cols = std::max<size_t>(1, std::min(nrow, n));
    const size_t rows = (n + cols - 1) / cols;
    g.channels = c;
    g.width = cols * (w + padding) + padding;
    g.height = rows * (h + padding) + padding;
    g.pixels.assign(g.width * g.height * c, 0);
    for (size_t i = 0; i < n; ++i) {
        const size_t gy = (i / cols) * (h + padding) + padding;
        const size_t gx = (i % cols) * (w + padding) + padding;
        const float* img = images + i * c * h * w;
        for (size_t ch = 0; ch < c; ++ch)
            for (size_t y = 0; y < h; ++y)
                for (size_t x = 0; x < w; ++x) {
                    const float v = (img[(ch * h + y) * w + x] + 1.0f) / 2.0f;
                    // NaN would pass through clamp, and converting it is
                    // undefined; it becomes 0, as torch's uint8 cast gives.
                    const float b = std::isnan(v) ? 0.0f : std::clamp(v * 255.0f + 0.5f, 0.0f, 255.0f);
                    g.pixels[((gy + y) * g.width + gx + x) * c + ch] = uint8_t(b);
                }
    }
    return g;
}

std::vector<uint8_t> encode_png(const Grid& g) {
    std::vector<uint8_t> out;
    auto sink = [](void* ctx, void* data, int size) {
        auto* v = static_cast<std::vector<uint8_t>*>(ctx);
        const auto* p = static_cast<const uint8_t*>(data);
        v->insert(v->end(), p, p + size);
    };
    if (!stbi_write_png_to_func(sink, &out, int(g.width), int(g.height), int(g.channels),
                                g.pixels.data(), int(g.width * g.channels)))
        throw Error("cannot encode PNG");
    return out;
}

bool known_image_output(const std::string& path) {
    return ends_with(path, ".png") || ends_with(path, ".npy");
}

void write_images(const std::string& path, const float* images, size_t n, size_t c, size_t h,
                  size_t w, size_t nrow) {
    std::vector<uint8_t> bytes;
    if (ends_with(path, ".npy")) {
        bytes = encode_npy(images, {n, c, h, w});
    } else if (ends_with(path, ".png")) {
        bytes = encode_png(make_grid(images, n, c, h, w, nrow));
    } else {
        throw Error(path + ": unknown output format (use a .png or .npy file name)");
    }
    write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace fsvae
