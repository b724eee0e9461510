// bench.cpp: see bench.hpp.
#include "bench.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <random>

#include "../runtime/engine.hpp"
#include "../runtime/propagate.hpp"

namespace fsvae::bench {
namespace {

template <class F>
double seconds(F&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Additions per second the kernels reach when nothing waits on memory: 16
// rows of 256 floats (16 KB, in L1; a whole number of register blocks on
// every ISA), accumulated over and over.
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

    Workspace ws(engine), ws_split(engine);
    ws_split.set_threads(size_t(all));
    double one = 1e30, one_split = 1e30, batch1 = 1e30, batch_all = 1e30, dense = 1e30,
           timed = 1e30, early_read = 1e30;
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

    std::printf("fsvae bench: %s, kernels %s, %zu images, best of %zu\n", model->origin().c_str(),
                engine.kernels().isa, count, repeat);
    std::printf("%-38s %10s %10s\n", "generation", "ms/image", "images/s");
    auto row = [](const char* name, double s) {
        std::printf("%-38s %10.3f %10.1f\n", name, 1e3 * s, 1.0 / s);
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
    std::snprintf(name, sizeof name, "dense mode, batch %zu, 1 thread", count);
    row(name, dense);
    std::snprintf(name, sizeof name, "  with per-layer timing, 1 thread");
    row(name, timed);
    std::printf("  read_image half way (readout so far)   %10.3f   (a step: %.3f ms)\n", 1e3 * early_read,
                1e3 * one / I.time_steps);
    std::printf("\nratios (same run)\n");
    std::printf("  event-driven vs dense mode, 1 thread:   %.2fx faster\n", dense / batch1);
    if (all > 1) {
        std::printf("  %d threads vs 1 thread, batch 1:        %.2fx\n", all, one / one_split);
        std::printf("  %d threads vs 1 thread, batch %zu:      %.2fx\n", all, count, batch1 / batch_all);
    }
    std::printf("  per-layer timing overhead:              %+.1f%%\n", 100 * (timed / batch1 - 1));
    std::printf("\nwork per image\n");
    std::printf("  synaptic ops %.3g (dense MACs %.3g, %.1f%%)\n", syn, macs, 100 * syn / macs);
    std::printf("  achieved %.2f G additions/s (batch %zu, 1 thread)\n", syn / batch1 * 1e-9, count);
    std::printf("  peak %.2f G additions/s (%s kernels, L1-resident rows)\n", peak * 1e-9, engine.kernels().isa);
    std::printf("  bound synaptic ops / peak = %.3f ms/image; runtime at %.1fx the bound\n",
                1e3 * syn / peak, batch1 / (syn / peak));
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
        std::vector<float> scale(dst.size()), patch(max_patch_floats(s) + 1);
        const PairScratch sc{dst.data(), src.data(), len.data(), scale.data(), patch.data(), chan.data()};
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
