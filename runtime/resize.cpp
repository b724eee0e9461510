// resize.cpp: Pillow's bilinear resampling (libImaging/Resample.c) on 8-bit
// interleaved images. Every step mirrors Pillow's, including where it rounds,
// because the model was trained on PIL's bytes and a one-level difference in
// a pixel is a different input.
#include "resize.hpp"

#include <cmath>
#include <string>

#include "error.hpp"

namespace fsvae {
namespace {

// Pillow keeps 8 bits for the result and 2 for overflow in a 32-bit int.
constexpr int kPrecisionBits = 32 - 8 - 2;

// Pillow's sizes are ints and its box is float; 2^24 keeps every size exact
// in a float and every sum below in range.
constexpr size_t kMaxSide = size_t(1) << 24;

double bilinear_filter(double x) {
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

// Pillow's clip8 without its lookup table: the top bits of the fixed-point
// sum, clamped to a byte.
uint8_t clip8(int32_t in) {
    const int32_t v = in >> kPrecisionBits;
    return uint8_t(v < 0 ? 0 : v > 255 ? 255 : v);
}

// Coefficients of one pass (precompute_coeffs + normalize_coeffs_8bpc): for
// each output position, the first input index, the number of inputs used,
// and ksize fixed-point weights.
struct Coeffs {
    int ksize = 0;
    std::vector<int> first, count;
    std::vector<int32_t> k;
};

Coeffs precompute_coeffs(int in_size, int out_size) {
    // The box is the whole image: in0 = 0, in1 = in_size, as floats like Pillow's.
    const float in0 = 0.0f, in1 = float(in_size);
    const double scale = double(in1 - in0) / out_size;
    const double filterscale = scale < 1.0 ? 1.0 : scale;
    const double support = 1.0 * filterscale;  // bilinear support is 1
    Coeffs c;
    c.ksize = int(std::ceil(support)) * 2 + 1;
    c.first.resize(size_t(out_size));
    c.count.resize(size_t(out_size));
    c.k.assign(size_t(out_size) * size_t(c.ksize), 0);
    std::vector<double> w(size_t(c.ksize));
    for (int xx = 0; xx < out_size; ++xx) {
        const double center = in0 + (xx + 0.5) * scale;
        const double ss = 1.0 / filterscale;
        // Pillow rounds with a truncating cast; negatives clamp to 0 either way.
        int xmin = int(center - support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = int(center + support + 0.5);
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        double ww = 0.0;
        for (int x = 0; x < xmax; ++x) {
            w[size_t(x)] = bilinear_filter((x + xmin - center + 0.5) * ss);
            ww += w[size_t(x)];
        }
        int32_t* k = &c.k[size_t(xx) * size_t(c.ksize)];
        for (int x = 0; x < xmax; ++x) {
            const double v = ww != 0.0 ? w[size_t(x)] / ww : w[size_t(x)];
            k[x] = v < 0 ? int32_t(-0.5 + v * (1 << kPrecisionBits))
                         : int32_t(0.5 + v * (1 << kPrecisionBits));
        }
        c.first[size_t(xx)] = xmin;
        c.count[size_t(xx)] = xmax;
    }
    return c;
}

}  // namespace

std::vector<uint8_t> resize_bilinear_pil(const uint8_t* src, size_t src_w, size_t src_h,
                                         size_t channels, size_t dst_w, size_t dst_h) {
    if (channels < 1 || channels > 4)
        throw Error("resize: " + std::to_string(channels) + " channels (1 to 4 supported)");
    if (src_w == 0 || src_h == 0 || dst_w == 0 || dst_h == 0)
        throw Error("resize: empty image (" + std::to_string(src_w) + "x" +
                    std::to_string(src_h) + " to " + std::to_string(dst_w) + "x" +
                    std::to_string(dst_h) + ")");
    if (src_w > kMaxSide || src_h > kMaxSide || dst_w > kMaxSide || dst_h > kMaxSide)
        throw Error("resize: image side over 16777216 pixels");
    const size_t C = channels;

    // Pillow skips a pass whose size does not change (the box is the full image).
    const bool need_horizontal = dst_w != src_w;
    const bool need_vertical = dst_h != src_h;

    const Coeffs vert = precompute_coeffs(int(src_h), int(dst_h));
    // Only the rows the vertical pass reads go through the horizontal one.
    const int ybox_first = vert.first.front();
    const int ybox_last = vert.first.back() + vert.count.back();

    const uint8_t* in = src;
    size_t in_w = src_w;
    int row_offset = 0;  // subtracted from vertical bounds when rows were skipped
    std::vector<uint8_t> temp;
    if (need_horizontal) {
        const Coeffs hor = precompute_coeffs(int(src_w), int(dst_w));
        const size_t rows = size_t(ybox_last - ybox_first);
        temp.resize(rows * dst_w * C);
        for (size_t yy = 0; yy < rows; ++yy) {
            const uint8_t* row = src + (yy + size_t(ybox_first)) * src_w * C;
            for (size_t xx = 0; xx < dst_w; ++xx) {
                const int32_t* k = &hor.k[xx * size_t(hor.ksize)];
                const size_t xmin = size_t(hor.first[xx]);
                const int xmax = hor.count[xx];
                for (size_t ch = 0; ch < C; ++ch) {
                    int32_t ss = 1 << (kPrecisionBits - 1);
                    for (int x = 0; x < xmax; ++x)
                        ss += int32_t(row[(size_t(x) + xmin) * C + ch]) * k[x];
                    temp[(yy * dst_w + xx) * C + ch] = clip8(ss);
                }
            }
        }
        in = temp.data();
        in_w = dst_w;
        row_offset = ybox_first;
    }

    if (!need_vertical) {
        if (need_horizontal) return temp;
        return std::vector<uint8_t>(src, src + src_w * src_h * C);
    }

    std::vector<uint8_t> out(in_w * dst_h * C);
    for (size_t yy = 0; yy < dst_h; ++yy) {
        const int32_t* k = &vert.k[yy * size_t(vert.ksize)];
        const size_t ymin = size_t(vert.first[yy] - row_offset);
        const int ymax = vert.count[yy];
        for (size_t xx = 0; xx < in_w; ++xx)
            for (size_t ch = 0; ch < C; ++ch) {
                int32_t ss = 1 << (kPrecisionBits - 1);
                for (int y = 0; y < ymax; ++y)
                    ss += int32_t(in[((size_t(y) + ymin) * in_w + xx) * C + ch]) * k[y];
                out[(yy * in_w + xx) * C + ch] = clip8(ss);
            }
    }
    return out;
}

}  // namespace fsvae
