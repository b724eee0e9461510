// fsvae_cli.cpp: the `fsvae` command line: generate, reconstruct, profile,
// bench, info.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>

#include "../include/fsvae/fsvae.h"  // the version macros only

#include "../runtime/engine.hpp"
#include "../runtime/error.hpp"
#include "../runtime/atomic_file.hpp"
#include "../runtime/image_input.hpp"
#include "../runtime/image_output.hpp"
#include "bench.hpp"
#include "profile.hpp"

namespace {

using fsvae::Error;

// The bundled model: next to the sources in a build tree, or under the
// install prefix; the first this user can read. An installed binary may have
// been built in a tree another user owns and this one cannot search (EACCES):
// a reason to try the next place, not to stop.
std::string default_model() {
    std::string why;
    for (const char* p : {FSVAE_SOURCE_MODEL, FSVAE_INSTALLED_MODEL}) {
        std::error_code ec;
        const std::filesystem::file_status st = std::filesystem::status(p, ec);
        std::string problem;
        if (ec)
            problem = ec.message();
        else if (!std::filesystem::is_regular_file(st))
            problem = "not a regular file";
        else if (access(p, R_OK) != 0)
            problem = std::strerror(errno);
        else
            return p;
        why += (why.empty() ? "" : "; ") + std::string(p) + ": " + problem;
    }
    throw Error("no usable bundled model (" + why + "); pass --model FILE");
}

// The kernel tables this build and CPU can run, best first: "avx2, sse2, scalar".
std::string available_isas() {
    const fsvae::kernels::KernelTable* tables[8];
    const size_t n = fsvae::kernels::available_kernels(tables, 8);
    std::string s;
    for (size_t i = 0; i < n; ++i) s += (i ? ", " : "") + std::string(tables[i]->isa);
    return s;
}

// FSVAE_ISA forces a kernel table. The dispatcher falls back to the best one
// for a name it cannot use; asked for by name on the command line, that is
// an error, before any work.
void check_isa() {
    const char* want = std::getenv("FSVAE_ISA");
    if (!want || !*want || fsvae::kernels::find_kernels(want)) return;
    static const char* const known[] = {"scalar", "sse2", "avx2", "avx512", "neon64"};
    const bool is_known =
        std::any_of(std::begin(known), std::end(known), [&](const char* k) { return std::strcmp(k, want) == 0; });
    throw Error("FSVAE_ISA=" + fsvae::printable(want, 40) + ": " +
                (is_known ? "this build or CPU cannot run it" : "not a kernel instruction set") +
                " (available: " + available_isas() + ")");
}

std::string version_text() {
    check_isa();
#define FSVAE_CLI_STR2(x) #x
#define FSVAE_CLI_STR(x) FSVAE_CLI_STR2(x)
    return std::string("fsvae ") + FSVAE_CLI_STR(FSVAE_VERSION_MAJOR) "." FSVAE_CLI_STR(
               FSVAE_VERSION_MINOR) "." FSVAE_CLI_STR(FSVAE_VERSION_PATCH) "\nkernels " +
           fsvae::kernels::select_kernels().isa + " (available: " + available_isas() + ")";
}

// Image i of a run has sampler index first + i: the range must not wrap.
void check_index_range(uint64_t first, size_t count) {
    if (count > 0 && first > std::numeric_limits<uint64_t>::max() - (count - 1))
        throw Error("--first-index " + std::to_string(first) + " with " + std::to_string(count) +
                    " images runs past the last sampler index (2^64 - 1)");
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

int cmd_generate(const std::string& model_path, size_t count, uint64_t seed, uint64_t first_index,
                 int threads, const std::string& output) {
    check_output(output);
    check_index_range(first_index, count);
    auto model = load(model_path);
    const fsvae::ModelInfo& I = model->info();
    if (count * I.image_size() * sizeof(float) > (size_t(1) << 32))
        throw Error("--count " + std::to_string(count) + " needs more than 4 GiB of images; generate in parts");
    fsvae::Engine engine(model);
    std::vector<float> images(count * I.image_size());
    Progress progress{count};
    fsvae::BatchOptions o;
    o.seed = seed;
    o.first_index = first_index;
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

int cmd_reconstruct(const std::string& model_path, const std::string& input, size_t offset,
                    size_t count, uint64_t seed, uint64_t first_index, int threads,
                    const std::string& output) {
    check_output(output);
    auto model = load(model_path);
    const fsvae::ModelInfo& I = model->info();
    const fsvae::ImageBatch in =
        fsvae::read_images(input, I.image_channels, I.image_height, I.image_width, count, offset);
    const size_t n = in.n;
    check_index_range(first_index, n);
    fsvae::Engine engine(model);
    std::vector<float> rec(n * I.image_size());
    Progress progress{n};
    fsvae::BatchOptions o;
    o.seed = seed;
    o.first_index = first_index;
    o.count = n;
    o.threads = threads;
    o.progress = [&](size_t d) { progress(d); };
    const auto t0 = std::chrono::steady_clock::now();
    fsvae::reconstruct_batch(engine, o, in.data.data(), rec.data());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    // Mean squared error over every pixel of every image, in [-1, 1] units
    // (the published code's F.mse_loss(recon, input)). Summed in double in
    // image order, so the figure does not depend on the thread count.
    double se = 0;
    for (size_t i = 0; i < rec.size(); ++i) {
        const double d = double(rec[i]) - double(in.data[i]);
        se += d * d;
    }
    const double mse = se / double(rec.size());

    if (output.size() >= 4 && output.compare(output.size() - 4, 4, ".npy") == 0) {
        fsvae::write_images(output, rec.data(), n, I.image_channels, I.image_height, I.image_width);
    } else {
        // Pairs: input then reconstruction, 4 pairs per row of 8.
        std::vector<float> pairs(2 * rec.size());
        for (size_t i = 0; i < n; ++i) {
            std::copy_n(in.data.begin() + long(i * I.image_size()), I.image_size(),
                        pairs.begin() + long(2 * i * I.image_size()));
            std::copy_n(rec.begin() + long(i * I.image_size()), I.image_size(),
                        pairs.begin() + long((2 * i + 1) * I.image_size()));
        }
        fsvae::write_images(output, pairs.data(), 2 * n, I.image_channels, I.image_height,
                            I.image_width);
    }
    std::printf("wrote %s: %zu reconstructions in %.3f s (%.2f ms/image, %s kernels)\n",
                output.c_str(), n, s, 1000.0 * s / double(n), engine.kernels().isa);
    std::printf("MSE %.6f over %zu images (input vs reconstruction, [-1, 1] units)\n", mse, n);
    return 0;
}

// `fsvae profile --compare A B`: the side-by-side report and/or its JSON.
int cmd_compare(const std::vector<std::string>& files, const std::string& json_path,
                const std::string& report_path) {
    if (json_path.empty() && report_path.empty()) throw Error("--compare needs --report FILE and/or --json FILE");
    if (json_path == report_path) throw Error(json_path + ": given as both --json and --report");
    const nlohmann::ordered_json a = fsvae::profile::read_profile(files[0]);
    const nlohmann::ordered_json b = fsvae::profile::read_profile(files[1]);
    const nlohmann::ordered_json d =
        fsvae::profile::compare(a, b, fsvae::profile::json_text(files[0]), fsvae::profile::json_text(files[1]));
    fsvae::AtomicFileSet outputs;
    if (!json_path.empty()) {
        const std::string text = d.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
        outputs.add(json_path).write(text.data(), text.size());
    }
    if (!report_path.empty()) {
        const std::string html = fsvae::profile::html_compare(d);
        outputs.add(report_path).write(html.data(), html.size());
    }
    outputs.commit();
    std::printf("%-22s %10s %10s %10s %12s %12s %7s %7s\n", "layer", "rate A", "rate B", "delta", "ops/img A",
                "ops/img B", "dead A", "dead B");
    const auto cell = [](const nlohmann::ordered_json& v, const char* f) {
        char buf[32];
        if (v.is_null()) return std::string("-");
        std::snprintf(buf, sizeof buf, f, v.get<double>());
        return std::string(buf);
    };
    for (const auto& l : d["layers"])
        std::printf("%-22s %10s %10s %10s %12s %12s %7s %7s\n", l["name"].get<std::string>().c_str(),
                    cell(l["firing_rate_a"], "%.4f").c_str(), cell(l["firing_rate_b"], "%.4f").c_str(),
                    cell(l["firing_rate_delta"], "%+.4f").c_str(), cell(l["synaptic_ops_per_image_a"], "%.4g").c_str(),
                    cell(l["synaptic_ops_per_image_b"], "%.4g").c_str(), cell(l["dead_a"], "%.0f").c_str(),
                    cell(l["dead_b"], "%.0f").c_str());
    std::printf("wrote %s%s%s\n", json_path.c_str(), json_path.empty() || report_path.empty() ? "" : " and ",
                report_path.c_str());
    return 0;
}

int cmd_profile(const std::string& model_path, const fsvae::profile::RunInfo& run, size_t count,
                const std::string& json_path, const std::string& report_path,
                const std::string& figures_dir) {
    if (json_path == report_path) throw Error(json_path + ": given as both --json and --report");
    auto model = load(model_path);
    const fsvae::ModelInfo& I = model->info();
    const uint64_t seed = run.seed;
    const int threads = run.threads;
    const std::string& input = run.input;
    fsvae::Engine engine(model);
    fsvae::BatchOptions o;
    o.seed = seed;
    o.first_index = run.first_index;
    o.threads = threads;
    o.timing = true;
    o.image_figures = true;  // the spread over images: a few numbers per image and layer
    o.neuron_counts = true;  // dead and saturated neurons, the rate histograms
    fsvae::Counters counters;
    std::vector<float> out;
    if (run.mode == fsvae::Mode::Reconstruct) {
        if (input.empty()) throw Error("profile --mode reconstruct needs --input FILE");
        const fsvae::ImageBatch in = fsvae::read_images(input, I.image_channels, I.image_height,
                                                        I.image_width, count, run.offset);
        check_index_range(run.first_index, in.n);
        o.count = in.n;
        out.resize(in.n * I.image_size());
        Progress progress{o.count};
        o.progress = [&](size_t d) { progress(d); };
        fsvae::reconstruct_batch(engine, o, in.data.data(), out.data(), nullptr, &counters);
    } else {
        check_index_range(run.first_index, count);
        o.count = count;
        out.resize(count * I.image_size());
        Progress progress{o.count};
        o.progress = [&](size_t d) { progress(d); };
        fsvae::generate_batch(engine, o, out.data(), nullptr, &counters);
    }
    const nlohmann::ordered_json j = fsvae::profile::to_json(engine, counters, run);
    // Every string went through json_text; replacing what is not UTF-8 here
    // too means a slip cannot make dump() throw.
    const std::string text =
        j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    std::string html;
    if (!report_path.empty()) html = fsvae::profile::html_report(j);
    // Both files or neither: a report that cannot be written takes the JSON back.
    fsvae::AtomicFileSet outputs;
    outputs.add(json_path).write(text.data(), text.size());
    if (!report_path.empty()) outputs.add(report_path).write(html.data(), html.size());
    size_t n_figures = 0;
    if (!figures_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(figures_dir, ec);
        if (ec) throw Error(figures_dir + ": cannot create the figures directory (" + ec.message() + ")");
        for (const fsvae::profile::Figure& f : fsvae::profile::figures(j)) {
            outputs.add((std::filesystem::path(figures_dir) / f.file).string()).write(f.bytes.data(), f.bytes.size());
            ++n_figures;
        }
    }
    outputs.commit();

    std::printf("%-22s %12s %14s %14s %9s\n", "layer", "firing rate", "synaptic ops", "dense MACs",
                "ms");
    const double images = double(counters.images);
    for (const auto& l : j["layers"])
        std::printf("%-22s %12s %14.0f %14.0f %9.2f\n", l["name"].get<std::string>().c_str(),
                    l["firing_rate"].is_null()
                        ? "-"
                        : std::to_string(l["firing_rate"].get<double>()).substr(0, 6).c_str(),
                    l["synaptic_ops"].get<double>() / images, l["dense_macs"].get<double>() / images,
                    l["time_ms"].get<double>());
    const auto& t = j["totals"];
    std::printf("per image: %.3g synaptic ops vs %.3g dense MACs (%.1f%%); latent rate %.4f\n",
                t["synaptic_ops_per_image"].get<double>(), t["dense_macs_per_image"].get<double>(),
                100 * t["ops_fraction_of_dense"].get<double>(), j["latent"]["rate"].get<double>());
    for (const auto& e : j["energy"])
        if (e["selected"].get<bool>())
            std::printf("energy (%s): %.2f uJ event-driven vs %.2f uJ dense per image\n",
                        e["table"].get<std::string>().c_str(),
                        e["event_driven_uj_per_image"].get<double>(),
                        e["dense_uj_per_image"].get<double>());
    std::printf("wrote %s%s%s\n", json_path.c_str(), report_path.empty() ? "" : " and ",
                report_path.c_str());
    if (n_figures) std::printf("wrote %zu figures to %s\n", n_figures, figures_dir.c_str());
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
    std::printf("kinds        sampler %s, readout %s\n", fsvae::sampler_kind_name(I.sampler),
                fsvae::readout_kind_name(I.readout));
    std::printf("neuron       LIF, Vth %g, tau %g; readout decay %g\n", I.vth, I.tau,
                I.readout_decay);
    std::printf("layers\n");
    for (const fsvae::Layer& L : model->layers()) {
        const auto& s = L.spec;
        std::printf("  %-22s %-14s %4ux%ux%u -> %4ux%ux%u %10zu params %-4s %9zu bytes%s\n",
                    s.name.c_str(), fsvae::layer_kind_name(s.kind), s.in.c, s.in.h, s.in.w,
                    s.out.c, s.out.h, s.out.w, s.weight_size() + s.bias_size(),
                    L.int8() ? "int8" : "fp32", L.byte_size(), s.spiking ? "" : "  (no LIF)");
    }
    size_t int8_layers = 0;
    for (const fsvae::Layer& L : model->layers()) int8_layers += L.int8();
    std::printf("precision    %s (%zu of %zu layers int8, one scale per output channel; the rest fp32)\n",
                int8_layers == 0 ? "fp32" : "int8",
                int8_layers, model->layers().size());
    std::printf("schema       version %u\n", I.schema_version);
    std::printf("parameters   %zu (tdBN folded into the weights)\n", model->parameter_count());
    std::printf("file size    %zu bytes\n", model->byte_size());
    std::printf("kernels      %s (SIMD instruction set in use)\n", K.isa);
    if (note) std::printf("note         %s\n", note);
    return 0;
}

int run(int argc, char** argv) {
    CLI::App app{"fsvae: event-driven runtime for Fully Spiking Variational Autoencoders"};
    app.require_subcommand(1);
    app.set_version_flag("--version", version_text, "print the version and the kernels in use");

    std::string model_path, output;
    size_t count = 64, offset = 0;
    uint64_t seed = 0, first_index = 0;
    int threads = 0;
    const char* const first_index_help = "sampler index of the first image: image i uses N + i";
    const char* const offset_help =
        "skip the input's first N images (IDX, .npy); the first index follows, unless --first-index";

    auto* gen = app.add_subcommand("generate", "sample images from the prior");
    gen->add_option("--model", model_path, "model file (default: the bundled model)");
    gen->add_option("--count", count, "number of images")->check(CLI::Range(size_t(1), size_t(1) << 24));
    gen->add_option("--seed", seed, "random seed");
    gen->add_option("--first-index", first_index, first_index_help);
    gen->add_option("--threads", threads, "worker threads (0: all cores)")->check(CLI::Range(0, 1024));
    gen->add_option("--output", output, "output file: .png grid or .npy (N, C, H, W) float32")
        ->required();

    std::string input;
    auto* rec = app.add_subcommand("reconstruct", "encode images and decode them back");
    rec->add_option("--model", model_path, "model file (default: the bundled model)");
    rec->add_option("--input", input, "IDX (plain or .gz), PNG, or .npy (N, C, H, W) float32 in [-1, 1]")
        ->required();
    rec->add_option("--offset", offset, offset_help);
    rec->add_option("--count", count, "at most this many images (default: all in the file)")
        ->check(CLI::Range(size_t(1), size_t(1) << 24));
    rec->add_option("--seed", seed, "random seed");
    rec->add_option("--first-index", first_index,
                    "sampler index of the first image: image i uses N + i (default: --offset)");
    rec->add_option("--threads", threads, "worker threads (0: all cores)")->check(CLI::Range(0, 1024));
    rec->add_option("--output", output, "output: .png grid of input/reconstruction pairs, or .npy")
        ->required();

    std::string mode = "generate", json_path, report_path, energy_table = "fp32-45nm";
    auto* prof = app.add_subcommand("profile", "spike sparsity, operations and energy per layer");
    prof->add_option("--model", model_path, "model file (default: the bundled model)");
    prof->add_option("--mode", mode, "generate or reconstruct")
        ->check(CLI::IsMember({"generate", "reconstruct"}));
    prof->add_option("--input", input, "images to reconstruct (--mode reconstruct)");
    prof->add_option("--offset", offset, "--mode reconstruct: skip the input's first N images; the "
                                         "first index follows, unless --first-index");
    prof->add_option("--count", count, "images (generate), or at most this many inputs")
        ->check(CLI::Range(size_t(1), size_t(1) << 24));
    prof->add_option("--seed", seed, "random seed");
    prof->add_option("--first-index", first_index,
                     "sampler index of the first image: image i uses N + i (reconstruct: default --offset)");
    prof->add_option("--threads", threads, "worker threads (0: all cores)")->check(CLI::Range(0, 1024));
    prof->add_option("--json", json_path, "profile JSON output (with --compare: the comparison's)");
    prof->add_option("--report", report_path, "HTML report output (with --compare: the side-by-side page)");
    std::string figures_dir;
    prof->add_option("--figures", figures_dir, "directory for the report's pictures as PNG files");
    std::vector<std::string> compare_files;
    prof->add_option("--compare", compare_files, "compare two profile JSON files, A and B (runs nothing)")
        ->expected(2);
    prof->add_option("--energy-table", energy_table, "fp32-45nm, fp16-45nm or int8-45nm")
        ->check(CLI::IsMember({"fp32-45nm", "fp16-45nm", "int8-45nm"}));

    size_t repeat = 3;
    auto* bench = app.add_subcommand("bench", "time generation at batch 1 and batch --count");
    bench->add_option("--model", model_path, "model file (default: the bundled model)");
    bench->add_option("--count", count, "batch size and number of batch-1 images")
        ->check(CLI::Range(size_t(1), size_t(1) << 16));
    bench->add_option("--threads", threads, "threads for the multi-thread runs (0: all cores)")
        ->check(CLI::Range(0, 1024));
    bool crossover = false;
    bench->add_flag("--crossover", crossover,
                    "per layer: event-driven vs dense step time across input rates");
    std::string compare_path;
    bench->add_option("--compare", compare_path,
                      "also time this model (e.g. the fp32 one beside an int8 --model) at batch 1 "
                      "on one thread, in the same run, and print the ratio");
    bench->add_option("--repeat", repeat, "timed repeats; the best is reported")
        ->check(CLI::Range(size_t(1), size_t(1000)));

    auto* info = app.add_subcommand("info", "describe a model and the kernels in use");
    info->add_option("--model", model_path, "model file (default: the bundled model)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    check_isa();
    if (*gen) return cmd_generate(model_path, count, seed, first_index, threads, output);
    if (*rec)
        return cmd_reconstruct(model_path, input, offset, rec->count("--count") ? count : 0, seed,
                               rec->count("--first-index") ? first_index : offset, threads, output);
    if (*prof && !compare_files.empty()) {
        for (const char* o : {"--model", "--mode", "--input", "--offset", "--count", "--seed", "--first-index",
                              "--threads", "--energy-table", "--figures"})
            if (prof->count(o)) throw Error(std::string(o) + " runs a profile; --compare reads two");
        return cmd_compare(compare_files, json_path, report_path);
    }
    if (*prof) {
        if (json_path.empty()) throw Error("profile needs --json FILE");
        fsvae::profile::RunInfo r;
        r.mode = mode == "reconstruct" ? fsvae::Mode::Reconstruct : fsvae::Mode::Generate;
        if (r.mode == fsvae::Mode::Generate && (prof->count("--input") || prof->count("--offset")))
            throw Error("--input and --offset are for --mode reconstruct");
        r.seed = seed;
        r.first_index = prof->count("--first-index") || r.mode == fsvae::Mode::Generate ? first_index : offset;
        r.threads = threads;
        r.input = input;
        r.offset = offset;
        r.energy_table = energy_table;
        return cmd_profile(model_path, r, mode == "reconstruct" && !prof->count("--count") ? 0 : count,
                           json_path, report_path, figures_dir);
    }
    if (*info) return cmd_info(model_path);
    if (*bench)
        return crossover ? fsvae::bench::crossover(load(model_path), repeat)
               : !compare_path.empty()
                   ? fsvae::bench::compare(load(compare_path), load(model_path), count, repeat)
                         : fsvae::bench::run(load(model_path), count, threads, repeat);
    return 0;
}

}  // namespace

// No failure ends in an abort: whatever escapes is one line and exit status 1.
int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const Error& e) {
        std::fprintf(stderr, "fsvae: %s\n", e.what());
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "fsvae: out of memory\n");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fsvae: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "fsvae: unexpected error\n");
    }
    return 1;
}
