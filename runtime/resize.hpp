// resize.hpp: 8-bit image resizing that reproduces Pillow's bilinear
// Image.resize, so inputs match what the published torchvision pipeline
// (Resize on a PIL image) fed the model during training.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fsvae {

// Resizes an interleaved 8-bit image (src_h rows of src_w pixels of
// `channels` bytes, 1 to 4 channels) to dst_w x dst_h like Pillow's
// ImagingResample with the bilinear filter and the whole image as the box:
// the same coefficients, fixed-point rounding and pass order, so the bytes
// equal PIL's. Channels are resized independently (no alpha premultiplying:
// callers drop alpha first). Throws fsvae::Error on empty or oversized images.
std::vector<uint8_t> resize_bilinear_pil(const uint8_t* src, size_t src_w, size_t src_h,
                                         size_t channels, size_t dst_w, size_t dst_h);

}  // namespace fsvae
