// lazy_layer.cpp: see lazy_layer.hpp.
#include "lazy_layer.hpp"

#include <algorithm>

namespace fsvae {

void LazyLayer::resize(size_t outputs, size_t inputs, uint32_t time_steps) {
    u_.assign(outputs, 0.0f);
    last_.assign(outputs, -1);
    events_.reserve(size_t(time_steps) * inputs);
    offset_.reserve(size_t(time_steps) + 1);
    inputs_ = inputs;
}

void LazyLayer::begin(const Layer& L, const float* wt) {
    wt_ = wt;
    bias_ = L.bias;
    std::fill(u_.begin(), u_.end(), 0.0f);
    std::fill(last_.begin(), last_.end(), -1);
    events_.clear();
    offset_.assign(1, 0);
}

void LazyLayer::record(uint32_t, const uint32_t* events, size_t n) {
    events_.insert(events_.end(), events, events + n);
    offset_.push_back(uint32_t(events_.size()));
}

bool LazyLayer::fires(uint32_t j, uint32_t t, const kernels::KernelTable& K, float tau, float vth,
                      uint64_t* ops, uint32_t* spikes_per_step) {
    float u = u_[j];
    bool spike = false;
    const float* row = wt_ + size_t(j) * inputs_;
    for (uint32_t s = uint32_t(last_[j] + 1); s <= t; ++s) {
        const float leak = tau * u;
        const float start = leak + bias_[j];
        const uint32_t n = offset_[s + 1] - offset_[s];
        const float v = K.gather_sum(row, events_.data() + offset_[s], n, start);
        *ops += n;
        spike = v > vth;
        u = spike ? 0.0f : v;
        spikes_per_step[s] += spike;
    }
    u_[j] = u;
    last_[j] = int32_t(t);
    return spike;
}

std::vector<float> transpose_weights(const Layer& L) {
    const size_t in = L.spec.in.size(), out = L.spec.out.size();
    std::vector<float> t(in * out);
    for (size_t i = 0; i < in; ++i)
        for (size_t j = 0; j < out; ++j) t[j * in + i] = L.weight[i * out + j];
    return t;
}

}  // namespace fsvae
