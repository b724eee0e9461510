// image_output.hpp: writing batches of images. Values are in [-1, 1],
// laid out N x C x H x W.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fsvae {

// The .npy (format 1.0) bytes of a float32 array with this shape.
std::vector<uint8_t> encode_npy(const float* data, const std::vector<size_t>& shape);

// A grid like torchvision.utils.make_grid(nrow, padding = 2, pad_value = 0)
// followed by save_image: pixel byte = clamp(floor(255 * (v + 1) / 2 + 0.5)).
// Returns the grid as H x W x C bytes and its size.
struct Grid {
    size_t width = 0, height = 0, channels = 0;
    std::vector<uint8_t> pixels;
};
Grid make_grid(const float* images, size_t n, size_t c, size_t h, size_t w, size_t nrow = 8,
               size_t padding = 2);

// PNG bytes of a grid (8-bit grayscale or RGB).
std::vector<uint8_t> encode_png(const Grid& g);

// Writes N x C x H x W images to path: a PNG grid if it ends in .png, a
// float32 .npy if it ends in .npy. Atomic. Throws fsvae::Error.
void write_images(const std::string& path, const float* images, size_t n, size_t c, size_t h,
                  size_t w, size_t nrow = 8);

// True if the path's extension is one write_images knows.
bool known_image_output(const std::string& path);

}  // namespace fsvae
