// kernels_scalar.cpp: the scalar reference of every kernel in kernels.hpp.
// The SIMD variants must agree with these bit for bit (see tests/test_kernels.cpp).
#include "kernels.hpp"

#include <algorithm>

namespace fsvae::kernels {
namespace {

void accumulate_rows(float* out, const float* rows, const uint32_t* active, size_t n_active,
                     size_t row_len, size_t row_stride) {
    for (size_t a = 0; a < n_active; ++a) {
        const float* row = rows + size_t(active[a]) * row_stride;
        for (size_t j = 0; j < row_len; ++j) out[j] += row[j];
    }
}

void add_row_sums(float* out, const float* rows, const uint32_t* active, size_t n_active,
                  size_t row_len, size_t row_stride) {
    for (size_t j = 0; j < row_len; ++j) {
        float sum = 0.0f;
        for (size_t a = 0; a < n_active; ++a) sum += rows[size_t(active[a]) * row_stride + j];
        out[j] += sum;
    }
}

void accumulate_rows_scaled(float* out, const float* rows, const float* scale, size_t n_rows,
                            size_t row_len, size_t row_stride) {
    for (size_t i = 0; i < n_rows; ++i) {
        const float* row = rows + i * row_stride;
        const float s = scale[i];
        for (size_t j = 0; j < row_len; ++j) {
            const float prod = s * row[j];
            out[j] += prod;
        }
    }
}

void scatter_rows(float* out, const float* rows, const uint32_t* dst, const uint32_t* src,
                  const uint32_t* len, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        float* o = out + dst[i];
        const float* r = rows + src[i];
        for (size_t j = 0; j < len[i]; ++j) o[j] += r[j];
    }
}

void scatter_rows_scaled(float* out, const float* rows, const uint32_t* dst, const uint32_t* src,
                         const uint32_t* len, const float* scale, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        float* o = out + dst[i];
        const float* r = rows + src[i];
        const float s = scale[i];
        for (size_t j = 0; j < len[i]; ++j) {
            const float prod = s * r[j];
            o[j] += prod;
        }
    }
}

void decay_bias(float* u, const float* bias, size_t pixels, size_t channels, float tau) {
    for (size_t p = 0; p < pixels; ++p) {
        float* up = u + p * channels;
        for (size_t c = 0; c < channels; ++c) {
            const float leak = tau * up[c];
            up[c] = leak + bias[c];
        }
    }
}

size_t fire(float* u, size_t n, float vth, uint32_t* fired, const FireNext& next) {
    size_t count = 0;
    size_t c = 0;  // i mod channels
    for (size_t i = 0; i < n; ++i) {
        const bool spike = u[i] > vth;
        fired[count] = uint32_t(i);  // branch-free compaction: kept only if spike
        count += spike;
        const float r = spike ? 0.0f : u[i];
        const float leak = next.tau * r;
        u[i] = leak + next.bias[c];
        if (next.sum) {
            const float s = next.sum_decay * next.sum[i];
            next.sum[i] = s + (spike ? 1.0f : 0.0f);
        }
        if (++c == next.channels) c = 0;
    }
    return count;
}

void broadcast(float* out, const float* bias, size_t pixels, size_t channels) {
    for (size_t p = 0; p < pixels; ++p)
        for (size_t c = 0; c < channels; ++c) out[p * channels + c] = bias[c];
}

void accumulate_rows_i8(int32_t* out, const int8_t* rows, const uint32_t* active, size_t n_active,
                        size_t row_len, size_t row_stride) {
    for (size_t a = 0; a < n_active; ++a) {
        const int8_t* row = rows + size_t(active[a]) * row_stride;
        for (size_t j = 0; j < row_len; ++j) out[j] += row[j];
    }
}

void scatter_rows_i8(int32_t* out, const int8_t* rows, const uint32_t* dst, const uint32_t* src,
                     const uint32_t* len, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        int32_t* o = out + dst[i];
        const int8_t* r = rows + src[i];
        for (size_t j = 0; j < len[i]; ++j) o[j] += r[j];
    }
}

void add_scaled_sums(float* u, int32_t* sum, const float* scale, size_t pixels, size_t channels) {
    for (size_t p = 0; p < pixels; ++p) {
        float* up = u + p * channels;
        int32_t* sp = sum + p * channels;
        for (size_t c = 0; c < channels; ++c) {
            const float x = scale[c] * float(sp[c]);
            up[c] = up[c] + x;
            sp[c] = 0;
        }
    }
}

}  // namespace

const KernelTable& scalar_kernels() {
    static const KernelTable table{"scalar",   accumulate_rows, add_row_sums, accumulate_rows_scaled,
                                   scatter_rows, scatter_rows_scaled, decay_bias, fire,
                                   broadcast,  accumulate_rows_i8, accumulate_rows_i8,
                                   scatter_rows_i8, add_scaled_sums};
    return table;
}

}  // namespace fsvae::kernels
