// fsvae_cli.cpp: the `fsvae` command line: generate, reconstruct, bench, info.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "../runtime/engine.hpp"
#include "../runtime/error.hpp"
#include "../runtime/image_output.hpp"

namespace {

using fsvae::Error;

// The bundled model: next to the sources in a build tree, or under the
// install prefix.
std::string default_model() {
    for (const char* p : {FSVAE_SOURCE_MODEL, FSVAE_INSTALLED_MODEL})
        if (std::filesystem::exists(p)) return p;
    throw Error(std::string(FSVAE_SOURCE_MODEL) + ": bundled model not found; pass --model FILE");
}

std::shared_ptr<const fsvae::Model> load(const std::string& path) {
    return fsvae::Model::load_file(path.empty() ? default_model() : path);
}

// Progress on stderr, at most a few times a second, only for a terminal.
struct Progress {
    explicit Progress(size_t n) : total(n) {}
    size_t total;
    bool tty = isatty(2);
    std::mutex mu;
    std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
    void operator()(size_t done) {
        if (!tty) return;
        std::lock_guard lock(mu);
        const auto now = std::chrono::steady_clock::now();
        if (done != total && now - last < std::chrono::milliseconds(250)) return;
        last = now;
        std::fprintf(stderr, "\r%zu/%zu images", done, total);
        if (done == total) std::fprintf(stderr, "\r\033[K");
    }
};

void check_output(const std::string& path) {
    if (!fsvae::known_image_output(path))
        throw Error(path + ": unknown output format (use a .png or .npy file name)");
}

int cmd_generate(const std::string& model_path, size_t count, uint64_t seed, int threads,
                 const std::string& output) {
    check_output(output);
    auto model = load(model_path);
    const fsvae::ModelInfo& I = model->info();
    if (count * I.image_size() * sizeof(float) > (size_t(1) << 32))
        throw Error("--count " + std::to_string(count) + " needs more than 4 GiB of images; generate in parts");
    fsvae::Engine engine(model);
    std::vector<float> images(count * I.image_size());
    Progress progress{count};
    fsvae::BatchOptions o;
    o.seed = seed;
    o.count = count;
    o.threads = threads;
    o.progress = [&](size_t d) { progress(d); };
    const auto t0 = std::chrono::steady_clock::now();
    fsvae::generate_batch(engine, o, images.data());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fsvae::write_images(output, images.data(), count, I.image_channels, I.image_height,
                        I.image_width);
    std::printf("wrote %s: %zu images in %.3f s (%.2f ms/image, %s kernels)\n", output.c_str(),
                count, s, 1000.0 * s / double(count), engine.kernels().isa);
    return 0;
}

// Latency (batch 1, one image at a time, one thread) and throughput (one
// batch, 1 thread and `threads`), plus the spike rates that produced them.
int cmd_bench(const std::string& model_path, size_t count, int threads, size_t repeat) {
    auto model = load(model_path);
    const fsvae::ModelInfo& I = model->info();
    fsvae::Engine engine(model);
    const int all = threads > 0 ? threads : int(std::thread::hardware_concurrency());
    std::vector<float> images(count * I.image_size());
    auto run = [&](size_t n, uint64_t first, int th, std::vector<fsvae::ImageTrace>* traces) {
        fsvae::BatchOptions o;
        o.seed = 1;
        o.first_index = first;
        o.count = n;
        o.threads = th;
        fsvae::generate_batch(engine, o, images.data(), traces);
    };
    auto seconds = [](auto&& f) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    std::vector<fsvae::ImageTrace> traces;
    run(count, 0, all, &traces);  // warm-up, and the spike rates
    fsvae::Workspace ws(engine);
    std::printf("model %s, kernels %s, %zu repeats\n", model->origin().c_str(),
                engine.kernels().isa, repeat);
    std::printf("%-28s %10s %10s\n", "generation", "ms/image", "images/s");
    for (int th : {1, all}) {
        double best1 = 1e30, bestN = 1e30;
        for (size_t r = 0; r < repeat; ++r) {
            // Batch 1: one image at a time on a kept workspace, as an
            // application waiting for each image would (one thread).
            if (th == 1)
                best1 = std::min(best1, seconds([&] {
                                            for (size_t i = 0; i < count; ++i)
                                                ws.generate(fsvae::ChoiceSource(1, i, I.k, I.latent_dim),
                                                            images.data());
                                        }) / double(count));
            bestN = std::min(bestN, seconds([&] { run(count, 0, th, nullptr); }) / double(count));
        }
        if (th == 1)
            std::printf("batch 1,  1 thread  %*s %10.3f %10.1f\n", 10, "", 1e3 * best1, 1.0 / best1);
        std::printf("batch %-3zu %d thread%s %*s %10.3f %10.1f\n", count, th, th == 1 ? " " : "s",
                    10, "", 1e3 * bestN, 1.0 / bestN);
        if (all == 1) break;
    }
    std::printf("\n%-22s %9s %12s\n", "layer", "neurons", "firing rate");
    for (size_t li : engine.spiking_layers(fsvae::Mode::Generate)) {
        const auto& s = model->layer(li).spec;
        double spikes = 0;
        for (const auto& tr : traces)
            for (uint32_t t = 0; t < I.time_steps; ++t) spikes += tr.spikes[li * I.time_steps + t];
        std::printf("%-22s %9zu %12.4f\n", s.name.c_str(), s.out.size(),
                    spikes / (double(s.out.size()) * I.time_steps * double(count)));
    }
    double z = 0;
    for (const auto& tr : traces)
        for (uint8_t b : tr.z) z += b;
    std::printf("%-22s %9u %12.4f\n", "latent z", I.latent_dim,
                z / (double(I.latent_dim) * I.time_steps * double(count)));
    return 0;
}

int cmd_info(const std::string& model_path) {
    auto model = load(model_path);
    const fsvae::ModelInfo& I = model->info();
    const char* note = nullptr;
    const auto& K = fsvae::kernels::select_kernels(&note);
    std::printf("model        %s\n", model->origin().c_str());
    std::printf("variant      %s, trained on %s\n", fsvae::variant_name(I.variant),
                I.dataset.empty() ? "(unknown)" : I.dataset.c_str());
    std::printf("source       %s\n", I.source.c_str());
    std::printf("image        %u x %u x %u (C x H x W)\n", I.image_channels, I.image_height,
                I.image_width);
    std::printf("latent       %u channels x %u steps, k = %u\n", I.latent_dim, I.time_steps, I.k);
    std::printf("neuron       LIF, Vth %g, tau %g; readout decay %g\n", I.vth, I.tau,
                I.readout_decay);
    std::printf("layers\n");
    for (const fsvae::Layer& L : model->layers()) {
        const auto& s = L.spec;
        std::printf("  %-22s %-14s %4ux%ux%u -> %4ux%ux%u %10zu params%s\n", s.name.c_str(),
                    fsvae::layer_kind_name(s.kind), s.in.c, s.in.h, s.in.w, s.out.c, s.out.h,
                    s.out.w, s.weight_size() + s.bias_size(), s.spiking ? "" : "  (no LIF)");
    }
    std::printf("parameters   %zu (tdBN folded into the weights)\n", model->parameter_count());
    std::printf("file size    %zu bytes\n", model->byte_size());
    std::printf("kernels      %s (SIMD instruction set in use)\n", K.isa);
    if (note) std::printf("note         %s\n", note);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"fsvae: event-driven runtime for Fully Spiking Variational Autoencoders"};
    app.require_subcommand(1);

    std::string model_path, output;
    size_t count = 64;
    uint64_t seed = 0;
    int threads = 0;

    auto* gen = app.add_subcommand("generate", "sample images from the prior");
    gen->add_option("--model", model_path, "model file (default: the bundled model)");
    gen->add_option("--count", count, "number of images")->check(CLI::Range(size_t(1), size_t(1) << 24));
    gen->add_option("--seed", seed, "random seed");
    gen->add_option("--threads", threads, "worker threads (0: all cores)")->check(CLI::Range(0, 1024));
    gen->add_option("--output", output, "output file: .png grid or .npy (N, C, H, W) float32")
        ->required();

    size_t repeat = 3;
    auto* bench = app.add_subcommand("bench", "time generation at batch 1 and batch --count");
    bench->add_option("--model", model_path, "model file (default: the bundled model)");
    bench->add_option("--count", count, "batch size and number of batch-1 images")
        ->check(CLI::Range(size_t(1), size_t(1) << 16));
    bench->add_option("--threads", threads, "threads for the multi-thread runs (0: all cores)")
        ->check(CLI::Range(0, 1024));
    bench->add_option("--repeat", repeat, "timed repeats; the best is reported")
        ->check(CLI::Range(size_t(1), size_t(1000)));

    auto* info = app.add_subcommand("info", "describe a model and the kernels in use");
    info->add_option("--model", model_path, "model file (default: the bundled model)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        if (*gen) return cmd_generate(model_path, count, seed, threads, output);
        if (*info) return cmd_info(model_path);
        if (*bench) return cmd_bench(model_path, count, threads, repeat);
    } catch (const Error& e) {
        std::fprintf(stderr, "fsvae: %s\n", e.what());
        return 1;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "fsvae: out of memory\n");
        return 1;
    }
    return 0;
}
