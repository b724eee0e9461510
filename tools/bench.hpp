// bench.hpp: `fsvae bench`, generation speed measured in one run: latency
// (batch 1), throughput (batch N, 1 thread and all threads), the dense GEMM
// baseline (dense_baseline.hpp) at batch 1 and N, the matrix-vector dense
// mode of the runtime's own kernels, achieved additions per second against a
// measured SIMD peak, the dense bound (dense MACs / measured peak FMA rate),
// spike rates and peak memory. Figures are ratios within the run.
#pragma once

#include <memory>

#include "../runtime/model.hpp"

namespace fsvae::bench {

int run(std::shared_ptr<const Model> model, size_t count, int threads, size_t repeat);

// Per layer, the time of one step's propagation, event-driven vs dense, at
// input rates 0.05 .. 1 (random inputs), and the rate above which dense wins.
int crossover(std::shared_ptr<const Model> model, size_t repeat);

// Generation at batch 1 on one thread for two models (e.g. int8 and fp32) in
// one run, repeats interleaved; prints both rows, the file sizes and the
// speed-up of b over a (time a / time b: best, and its range over the repeats).
int compare(std::shared_ptr<const Model> a, std::shared_ptr<const Model> b, size_t count,
            size_t repeat);

}  // namespace fsvae::bench
