// image_input.hpp: reading the images a model is given (reconstruction
// inputs) from IDX, PNG or .npy files, prepared exactly as the published
// training pipeline prepared them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace fsvae {

// N x C x H x W model inputs, values in [-1, 1].
struct ImageBatch {
    size_t n = 0, c = 0, h = 0, w = 0;
    std::vector<float> data;
};

// Reads images for a model expecting `channels` (1 or 3) x `height` x `width`.
// The format comes from the file's first bytes, whatever its name:
//  - IDX (MNIST family, e.g. t10k-images-idx3-ubyte), plain or gzip-compressed:
//    magic 0x00000803, then N, H, W as big-endian u32, then N*H*W bytes.
//  - PNG: one image; gray, gray+alpha, RGB or RGBA (16-bit samples are
//    reduced to 8 bits as Pillow does: 16-bit gray clipped at 255, the other
//    colour types by their high byte; alpha is dropped). RGB becomes gray by PIL's
//    convert("L"); gray becomes RGB by repeating it.
//  - .npy (version 1 or 2): little-endian float32, C order, shape (N, C, H, W)
//    with the model's C, H and W, every value finite and in [-1, 1]; used as is.
// 8-bit images (IDX, PNG) of another size are resized as torchvision's
// Resize((H, W)) does to a PIL image (Pillow's bilinear resize), then mapped
// to [-1, 1] as ToTensor + Normalize(0.5, 0.5) do, in float32, bit for bit.
// first_image skips that many images of the file (IDX and .npy: any below
// their count; a PNG holds one, so only 0), and max_images (0 = all the rest)
// caps how many are read after them; only those are decoded and checked.
// Sizes in messages are H x W. Throws fsvae::Error ("<path>: <problem>").
ImageBatch read_images(const std::string& path, size_t channels, size_t height, size_t width,
                       size_t max_images = 0, size_t first_image = 0);

// The same from a file's contents in memory, read only during the call;
// `origin` stands for the path in messages ("<origin>: <problem>").
ImageBatch read_images_from_memory(const void* data, size_t size, const std::string& origin,
                                   size_t channels, size_t height, size_t width,
                                   size_t max_images = 0, size_t first_image = 0);

}  // namespace fsvae
