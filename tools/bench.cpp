// bench.cpp: see bench.hpp.
#include "bench.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <cstdlib>
#include <random>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "../runtime/engine.hpp"
#include "../runtime/propagate.hpp"
#include "dense_baseline.hpp"

namespace fsvae::bench {
namespace {

template <class F>
double seconds(F&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Additions per second the kernels reach when nothing waits on memory: 16
// rows of 256 floats (16 KB, in L1; two whole groups of events and whole
// cache lines of columns on every ISA), accumulated over and over.
double peak_additions_per_second(const kernels::KernelTable& K) {
    constexpr size_t row = 256, rows = 16, reps = 50000;
    std::vector<float> w(row * rows, 1e-7f), out(row, 0.0f);
    std::vector<uint32_t> active(rows);
    for (uint32_t i = 0; i < rows; ++i) active[i] = i;
    double best = 0;
    for (int trial = 0; trial < 5; ++trial) {
        const double s = seconds([&] {
            for (size_t r = 0; r < reps; ++r) K.accumulate_rows(out.data(), w.data(), active.data(), rows, row, row);
        });
        best = std::max(best, double(reps * rows * row) / s);
    }
    if (out[0] < 0) std::printf(" ");  // keep the work observable
    return best;
}

// Peak fused multiply-add rate of one core: independent chains of
// acc = acc * a + b kept in registers (more chains than the FMA latency times
// the FMA units, so the units never wait), nothing read from memory.
struct FmaPeak {
    double fma_per_second = 0;  // lane operations: one multiply-accumulate each
    const char* isa = "scalar";
    int lanes = 1;
};

// About a millisecond per trial at full speed, best of many: short enough
// for some trials to run without being preempted on a shared machine.
constexpr size_t kFmaReps = 500000;
constexpr int kFmaTrials = 30;

#if defined(__x86_64__) || defined(_M_X64)
// 16 chains of 16 lanes: 16 of the 32 zmm registers.
__attribute__((target("avx512f"))) float fma_loop_avx512(size_t reps) {
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    __m512 c[16];
    for (int i = 0; i < 16; ++i) c[i] = _mm512_set1_ps(float(i));
    for (size_t r = 0; r < reps; ++r) {
#pragma GCC unroll 16
        for (int i = 0; i < 16; ++i) c[i] = _mm512_fmadd_ps(c[i], a, b);
    }
    __m512 s = c[0];
    for (int i = 1; i < 16; ++i) s = _mm512_add_ps(s, c[i]);
    float v[16];
    _mm512_storeu_ps(v, s);
    float sum = 0;
    for (float x : v) sum += x;
    return sum;
}
// 12 chains of 8 lanes: 14 of the 16 ymm registers with a and b.
__attribute__((target("avx2,fma"))) float fma_loop_avx2(size_t reps) {
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    __m256 c[12];
    for (int i = 0; i < 12; ++i) c[i] = _mm256_set1_ps(float(i));
    for (size_t r = 0; r < reps; ++r) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; ++i) c[i] = _mm256_fmadd_ps(c[i], a, b);
    }
    __m256 s = c[0];
    for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, c[i]);
    float v[8];
    _mm256_storeu_ps(v, s);
    float sum = 0;
    for (float x : v) sum += x;
    return sum;
}
#endif

// Without an FMA instruction set: multiply and add, 8 scalar chains.
float fma_loop_scalar(size_t reps) {
    const float a = 0.999999f, b = 1e-7f;
    float c[8];
    for (int i = 0; i < 8; ++i) c[i] = float(i);
    for (size_t r = 0; r < reps; ++r)
        for (int i = 0; i < 8; ++i) c[i] = c[i] * a + b;
    return c[0] + c[1] + c[2] + c[3] + c[4] + c[5] + c[6] + c[7];
}

template <class Loop>
double fma_rate(Loop loop, double fmas_per_rep) {
    double best = 0;
    for (int trial = 0; trial < kFmaTrials; ++trial) {
        float sink = 0;
        const double s = seconds([&] { sink = loop(kFmaReps); });
        if (sink < 0) std::printf(" ");  // keep the work observable
        best = std::max(best, fmas_per_rep * double(kFmaReps) / s);
    }
    return best;
}

// The widest FMA the CPU and OS run (the kernel tables have checked both),
// and the 256-bit one when it is not that.
FmaPeak peak_fma(FmaPeak* narrower) {
    FmaPeak p;
#if defined(__x86_64__) || defined(_M_X64)
    const bool avx2 = kernels::find_kernels("avx2") && __builtin_cpu_supports("fma");
    if (avx2) *narrower = {fma_rate(fma_loop_avx2, 12.0 * 8), "avx2+fma", 8};
    if (kernels::find_kernels("avx512")) return {fma_rate(fma_loop_avx512, 16.0 * 16), "avx512", 16};
    if (avx2) {
        p = *narrower;
        *narrower = {};
        return p;
    }
#endif
    (void)narrower;
    return {fma_rate(fma_loop_scalar, 8.0), "scalar multiply-add", 1};
}

// "1.52x faster" when a takes less time than b, else "1.52x slower".
std::string faster(double a, double b) {
    char s[32];
    std::snprintf(s, sizeof s, "%.2fx %s", a <= b ? b / a : a / b, a <= b ? "faster" : "slower");
    return s;
}

}  // namespace

int run(std::shared_ptr<const Model> model, size_t count, int threads, size_t repeat) {
    const ModelInfo& I = model->info();
    EngineOptions dense_options;
    dense_options.dense = true;
    Engine engine(model), dense_engine(model, nullptr, dense_options);
    const int all = threads > 0 ? threads : int(std::thread::hardware_concurrency());
    std::vector<float> images(count * I.image_size());
    auto batch = [&](const Engine& e, int th, Counters* c, bool timing = false) {
        BatchOptions o;
        o.seed = 1;
        o.count = count;
        o.threads = th;
        o.timing = timing;
        generate_batch(e, o, images.data(), nullptr, c);
    };
    // Warm-up, and the counts of the event-driven path.
    Counters counters;
    batch(engine, all, &counters);

    // The dense GEMM baseline, warmed up at the batch size it is timed at.
    dense::DenseGenerator gemm(model);
    gemm.generate(1, 0, count, images.data());
    dense::GemmStats gemm_stats;

    Workspace ws(engine), ws_split(engine);
    ws_split.set_threads(size_t(all));
    double one = 1e30, one_split = 1e30, batch1 = 1e30, batch_all = 1e30, dense = 1e30,
           timed = 1e30, early_read = 1e30, gemm_one = 1e30, gemm_batch = 1e30;
    for (size_t r = 0; r < repeat; ++r) {
        // Batch 1: one image at a time on a kept workspace, as an application
        // waiting for each image would.
        one = std::min(one, seconds([&] {
                  for (size_t i = 0; i < count; ++i)
                      ws.generate(ChoiceSource(1, i, I.k, I.latent_dim), images.data());
              }) / double(count));
        // The same, each image's layers split across the threads.
        if (all > 1)
            one_split = std::min(one_split, seconds([&] {
                            for (size_t i = 0; i < count; ++i)
                                ws_split.generate(ChoiceSource(1, i, I.k, I.latent_dim), images.data());
                        }) / double(count));
        batch1 = std::min(batch1, seconds([&] { batch(engine, 1, nullptr); }) / double(count));
        if (all > 1) batch_all = std::min(batch_all, seconds([&] { batch(engine, all, nullptr); }) / double(count));
        dense = std::min(dense, seconds([&] { batch(dense_engine, 1, nullptr); }) / double(count));
        gemm_one = std::min(gemm_one, seconds([&] {
                       for (size_t i = 0; i < count; ++i) gemm.generate(1, i, 1, images.data());
                   }) / double(count));
        gemm.clear_stats();
        const double g = seconds([&] { gemm.generate(1, 0, count, images.data()); }) / double(count);
        if (g < gemm_batch) {
            gemm_batch = g;
            gemm_stats = gemm.gemm_stats();
        }
        timed = std::min(timed, seconds([&] { batch(engine, 1, nullptr, true); }) / double(count));
        // Reading the image half way (the readout applied to the sum so far).
        for (uint64_t i = 0; i < 10; ++i) {
            ws.begin(Mode::Generate, ChoiceSource(1, r * 10 + i, I.k, I.latent_dim));
            for (uint32_t t = 0; t < I.time_steps / 2; ++t) ws.step();
            early_read = std::min(early_read, seconds([&] { ws.read_image(images.data()); }));
        }
    }
    double syn = 0, macs = 0;
    for (const LayerCounters& l : counters.layers) {
        syn += double(l.synaptic_ops);
        macs += double(l.dense_macs);
    }
    syn /= double(counters.images);
    macs /= double(counters.images);
    const double peak = peak_additions_per_second(engine.kernels());
    FmaPeak fma256;
    const FmaPeak fma = peak_fma(&fma256);
    const double bound = macs / fma.fma_per_second;  // seconds per image

    std::printf("fsvae bench: %s, kernels %s, %zu images, best of %zu\n", model->origin().c_str(),
                engine.kernels().isa, count, repeat);
    std::printf("%-46s %10s %10s\n", "generation", "ms/image", "images/s");
    auto row = [](const char* name, double s) {
        std::printf("%-46s %10.3f %10.1f\n", name, 1e3 * s, 1.0 / s);
    };
    row("event-driven, batch 1, 1 thread", one);
    char name[64];
    if (all > 1) {
        std::snprintf(name, sizeof name, "event-driven, batch 1, %d threads", all);
        row(name, one_split);
    }
    std::snprintf(name, sizeof name, "event-driven, batch %zu, 1 thread", count);
    row(name, batch1);
    if (all > 1) {
        std::snprintf(name, sizeof name, "event-driven, batch %zu, %d threads", count, all);
        row(name, batch_all);
    }
    row("dense GEMM, batch 1, 1 thread", gemm_one);
    std::snprintf(name, sizeof name, "dense GEMM, batch %zu, 1 thread", count);
    row(name, gemm_batch);
    std::snprintf(name, sizeof name, "matrix-vector dense mode, batch %zu, 1 thread", count);
    row(name, dense);
    std::snprintf(name, sizeof name, "  with per-layer timing, 1 thread");
    row(name, timed);
    std::printf("%-46s %10.3f   (a step: %.3f ms)\n", "  read_image half way (readout so far)",
                1e3 * early_read, 1e3 * one / I.time_steps);
    std::printf("\nratios (same run)\n");
    auto ratio = [](const std::string& label, const std::string& value) {
        std::printf("  %-40s %s\n", (label + ":").c_str(), value.c_str());
    };
    const std::string at = "batch " + std::to_string(count);
    ratio("event-driven vs dense GEMM, batch 1", faster(one, gemm_one));
    ratio("event-driven vs dense GEMM, " + at, faster(batch1, gemm_batch));
    ratio("event-driven vs dense bound, " + at, faster(batch1, bound));
    ratio("event-driven vs matrix-vector dense mode", faster(batch1, dense));
    char value[32];
    if (all > 1) {
        std::snprintf(value, sizeof value, "%.2fx", one / one_split);
        ratio(std::to_string(all) + " threads vs 1 thread, batch 1", value);
        std::snprintf(value, sizeof value, "%.2fx", batch1 / batch_all);
        ratio(std::to_string(all) + " threads vs 1 thread, " + at, value);
    }
    std::snprintf(value, sizeof value, "%+.1f%%", 100 * (timed / batch1 - 1));
    ratio("per-layer timing overhead", value);
    std::printf("\nwork per image\n");
    std::printf("  synaptic ops %.3g (dense MACs %.3g, %.1f%%)\n", syn, macs, 100 * syn / macs);
    std::printf("  achieved %.2f G additions/s (batch %zu, 1 thread)\n", syn / batch1 * 1e-9, count);
    std::printf("  peak %.2f G additions/s (%s kernels, L1-resident rows)\n", peak * 1e-9, engine.kernels().isa);
    std::printf("  bound synaptic ops / peak = %.3f ms/image; runtime at %.1fx the bound\n",
                1e3 * syn / peak, batch1 / (syn / peak));
    const char* coretype = std::getenv("OPENBLAS_CORETYPE");
    std::printf("  dense GEMM: OpenBLAS core %s, 1 thread (OPENBLAS_CORETYPE %s)\n",
                dense::DenseGenerator::blas_core(), coretype ? coretype : "unset");
    std::printf("  sgemm reached %.1f GFLOP/s, %.0f%% of the dense GEMM time (batch %zu; %.0f MFLOP/image)\n",
                gemm_stats.flops / gemm_stats.seconds * 1e-9,
                100 * gemm_stats.seconds / (gemm_batch * double(count)), count,
                gemm_stats.flops / double(count) * 1e-6);
    std::printf("  peak FMA %.1f G FMA/s = %.1f GFLOP/s (%s, %d lanes, register-resident)",
                fma.fma_per_second * 1e-9, 2 * fma.fma_per_second * 1e-9, fma.isa, fma.lanes);
    if (fma256.lanes > 1) std::printf("; %s %.1f G FMA/s", fma256.isa, fma256.fma_per_second * 1e-9);
    std::printf("\n  dense bound dense MACs / peak FMA = %.3f ms/image\n", 1e3 * bound);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("  peak memory (RSS) %.1f MiB\n", double(ru.ru_maxrss) / 1024.0);

    std::printf("\n%-22s %9s %12s\n", "layer", "neurons", "firing rate");
    for (size_t li : engine.spiking_layers(Mode::Generate)) {
        const auto& s = model->layer(li).spec;
        std::printf("%-22s %9zu %12.4f\n", s.name.c_str(), s.out.size(),
                    double(counters.layers[li].spikes) / (double(s.out.size()) * double(counters.layers[li].steps)));
    }
    std::printf("%-22s %9u %12.4f\n", "latent z", I.latent_dim,
                double(counters.latent_spikes) / (double(I.latent_dim) * I.time_steps * double(counters.images)));
    return 0;
}

int compare(std::shared_ptr<const Model> a, std::shared_ptr<const Model> b, size_t count,
            size_t repeat) {
    // Both models in one run, their repeats interleaved, so that a noisy
    // machine slows both alike: batch 1 on one thread, one kept workspace.
    const std::shared_ptr<const Model> models[2] = {a, b};
    std::vector<Engine> engines;
    for (const auto& m : models) engines.emplace_back(m);
    double best[2] = {1e30, 1e30};
    std::vector<double> ratios;
    for (size_t r = 0; r < repeat + 1; ++r) {  // the first round warms up
        double t[2];
        for (size_t k = 0; k < 2; ++k) {
            const ModelInfo& I = models[k]->info();
            std::vector<float> image(I.image_size());
            Workspace ws(engines[k]);
            t[k] = seconds([&] {
                       for (size_t i = 0; i < count; ++i)
                           ws.generate(ChoiceSource(1, i, I.k, I.latent_dim), image.data());
                   }) / double(count);
        }
        if (r == 0) continue;
        for (size_t k = 0; k < 2; ++k) best[k] = std::min(best[k], t[k]);
        ratios.push_back(t[0] / t[1]);
    }
    std::sort(ratios.begin(), ratios.end());
    // The same images' latent spikes under both models, for the same
    // sampler choices: the share of the first model's z_t[c] that differ.
    size_t changed = 0, spikes = 0;
    {
        const ModelInfo& I = models[0]->info();
        std::vector<float> image(I.image_size());
        Workspace wa(engines[0]), wb(engines[1]);
        ImageTrace ta, tb;
        for (size_t i = 0; i < count; ++i) {
            wa.generate(ChoiceSource(1, i, I.k, I.latent_dim), image.data(), &ta);
            wb.generate(ChoiceSource(1, i, I.k, I.latent_dim), image.data(), &tb);
            for (size_t j = 0; j < ta.z.size() && j < tb.z.size(); ++j) {
                spikes += ta.z[j] != 0;
                changed += ta.z[j] != tb.z[j];
            }
        }
    }
    auto precision = [](const Model& m) {
        size_t n = 0;
        for (const Layer& L : m.layers()) n += L.int8();
        return n ? "int8" : "fp32";
    };
    std::printf("fsvae bench --compare: generation, batch 1, 1 thread, %zu images, best of %zu, kernels %s\n",
                count, repeat, engines[0].kernels().isa);
    std::printf("%-5s %-40s %10s %12s\n", "", "model", "ms/image", "file bytes");
    for (size_t k = 0; k < 2; ++k)
        std::printf("%-5s %-40s %10.3f %12zu\n", precision(*models[k]), models[k]->origin().c_str(),
                    1e3 * best[k], models[k]->byte_size());
    std::printf("speed-up of %s over %s (time %s / time %s): best %.2fx; per round %.2fx .. %.2fx "
                "(median %.2fx)\n",
                precision(*models[1]), precision(*models[0]), precision(*models[0]),
                precision(*models[1]), best[0] / best[1], ratios.front(), ratios.back(),
                ratios[ratios.size() / 2]);
    std::printf("latent spikes of %s that differ in %s, same sampler choices: %zu of %zu (%.2f%%)\n",
                precision(*models[0]), precision(*models[1]), changed, spikes,
                spikes ? 100.0 * double(changed) / double(spikes) : 0.0);
    return 0;
}

int crossover(std::shared_ptr<const Model> model, size_t repeat) {
    const kernels::KernelTable& K = kernels::select_kernels();
    std::printf("fsvae bench --crossover: %s, kernels %s, us per step (best of %zu)\n",
                model->origin().c_str(), K.isa, repeat);
    const double rates[] = {0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
    std::printf("%-22s", "layer \\ input rate");
    for (double r : rates) std::printf(" %11.2f", r);
    std::printf("   crossover\n");
    std::mt19937 rng(7);
    const Engine engine(model);
    // The image layer is applied once per image, not per step (engine.hpp).
    for (size_t li : engine.spiking_layers(Mode::Generate)) {
        const Layer& L = model->layer(li);
        const LayerSpec& s = L.spec;
        std::vector<float> target(s.out.size()), values(s.in.size());
        std::vector<uint32_t> dst(max_pairs(s, true) + 1), src(dst.size()), len(dst.size()), chan(s.in.c);
        std::vector<float> scale(dst.size());
        const PairScratch sc{dst.data(), src.data(), len.data(), scale.data(), chan.data()};
        std::printf("%-22s", s.name.c_str());
        if (L.int8()) {  // no float dense path to cross: int8 layers sum events in integers
            std::printf("   int8 (events only)\n");
            continue;
        }
        double cross = -1;
        for (double r : rates) {
            std::vector<uint32_t> events;
            std::bernoulli_distribution fire(r);
            for (uint32_t i = 0; i < s.in.size(); ++i)
                if (fire(rng)) events.push_back(i);
            double ev = 1e30, de = 1e30;
            const int reps = 20;
            for (size_t t = 0; t < repeat; ++t) {
                ev = std::min(ev, seconds([&] {
                    for (int i = 0; i < reps; ++i)
                        propagate_events(L, K, events.data(), events.size(), target.data(), sc);
                }) / reps);
                de = std::min(de, seconds([&] {
                    for (int i = 0; i < reps; ++i)
                        propagate_dense(L, K, events.data(), events.size(), target.data(), sc, values.data());
                }) / reps);
            }
            std::printf(" %5.1f/%-5.1f", 1e6 * ev, 1e6 * de);
            if (cross < 0 && de < ev) cross = r;
        }
        if (cross < 0)
            std::printf("   none (events win at every rate)\n");
        else
            std::printf("   %.2f\n", cross);
    }
    std::printf("cells: event-driven/dense microseconds for one step of the layer\n");
    return 0;
}

}  // namespace fsvae::bench
