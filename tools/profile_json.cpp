// profile_json.cpp: counters -> the profile JSON. Every figure is derived
// here from the counters; definitions are in the README.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../runtime/error.hpp"
#include "../runtime/propagate.hpp"
#include "profile.hpp"

namespace fsvae::profile {
namespace {

// A float as the shortest decimal that reads back to it (0.8f -> 0.8, not
// 0.800000011920929), so the JSON shows the values the model file holds.
double decimal(float v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::strtod(std::string(buf, r.ptr).c_str(), nullptr);
}

// The length of the valid UTF-8 sequence at s[i], or 0 if none starts there
// (overlong forms, surrogates and values past U+10FFFF are not valid).
size_t utf8_sequence(const std::string& s, size_t i) {
    const auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = at(i);
    if (c < 0x80) return 1;
    size_t n;
    uint32_t v;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2, v = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, v = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, v = c & 0x07u;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k) {
        if ((at(i + k) & 0xc0) != 0x80) return 0;
        v = v << 6 | (at(i + k) & 0x3fu);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    return n;
}

// Bins of the per-neuron rate histogram, over [0, 1] (the last bin holds 1).
constexpr size_t kRateBins = 10;
// Bins of the per-image synaptic operations histogram, min to max.
constexpr size_t kImageBins = 20;

// Min, quartiles and max of v (sorted here), with linear interpolation
// between order statistics (numpy's default percentile).
nlohmann::ordered_json spread(std::vector<double> v) {
    if (v.empty()) return nullptr;
    std::sort(v.begin(), v.end());
    const auto q = [&](double f) {
        const double x = f * double(v.size() - 1);
        const size_t i = size_t(x);
        return i + 1 < v.size() ? v[i] + (x - double(i)) * (v[i + 1] - v[i]) : v[i];
    };
    return {{"min", v.front()}, {"q1", q(0.25)}, {"median", q(0.5)}, {"q3", q(0.75)}, {"max", v.back()}};
}

}  // namespace

std::string json_text(const std::string& bytes) {
    std::string out;
    out.reserve(bytes.size());
    for (size_t i = 0; i < bytes.size();) {
        if (const size_t n = utf8_sequence(bytes, i)) {
            out.append(bytes, i, n);
            i += n;
        } else {
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(bytes[i]));
            out += buf;
            ++i;
        }
    }
    return out;
}

nlohmann::ordered_json to_json(const Engine& engine, const Counters& c, const RunInfo& run) {
    using json = nlohmann::ordered_json;
    const Model& model = engine.model();
    const ModelInfo& I = model.info();
    const double images = double(c.images);

    json j;
    j["format"] = "fsvae-profile";
    j["format_version"] = 2;
    j["model"] = {{"file", json_text(model.origin())},
                  {"variant", variant_name(I.variant)},
                  {"dataset", json_text(I.dataset)},
                  {"source", json_text(I.source)},
                  {"time_steps", I.time_steps},
                  {"k", I.k},
                  {"latent_dim", I.latent_dim},
                  {"vth", decimal(I.vth)},
                  {"tau", decimal(I.tau)},
                  {"readout_decay", decimal(I.readout_decay)},
                  {"image", {I.image_channels, I.image_height, I.image_width}},
                  {"parameters", model.parameter_count()},
                  {"file_bytes", model.byte_size()}};
    j["run"] = {{"mode", run.mode == Mode::Generate ? "generate" : "reconstruct"},
                {"images", c.images},
                {"seed", run.seed},
                {"first_index", run.first_index},
                {"threads", run.threads},
                {"kernels", engine.kernels().isa},
                {"input", run.input.empty() ? json(nullptr) : json(json_text(run.input))},
                {"offset", run.mode == Mode::Reconstruct ? json(run.offset) : json(nullptr)}};

    json layers = json::array();
    uint64_t neurons = 0, spikes = 0, neuron_steps = 0, ops = 0, macs = 0, events = 0;
    uint64_t ops_mac = 0;  // operations with a real-valued operand (multiply-accumulates)
    uint64_t total_dead = 0, total_saturated = 0;
    double seconds = 0;
    const size_t n_layers = model.layers().size(), n_images = size_t(c.images);
    const bool per_image = n_images > 0 && c.image_ops.size() == n_images * n_layers &&
                           c.image_spikes.size() == n_images * n_layers;
    std::vector<double> image_total_ops(per_image ? n_images : 0, 0.0);
    const size_t first = engine.layers(run.mode).front();
    for (size_t li : engine.layers(run.mode)) {
        const LayerSpec& s = model.layer(li).spec;
        const LayerCounters& L = c.layers[li];
        json e;
        e["name"] = json_text(s.name);
        e["kind"] = layer_kind_name(s.kind);
        e["spiking"] = s.spiking;
        e["neurons"] = s.out.size();
        e["steps"] = L.steps;
        e["events"] = L.events;
        e["synaptic_ops"] = L.synaptic_ops;
        e["dense_macs"] = L.dense_macs;
        e["time_ms"] = 1e3 * L.seconds;
        if (s.spiking) {
            const double denom = double(s.out.size()) * double(L.steps);
            e["spikes"] = L.spikes;
            e["firing_rate"] = denom > 0 ? double(L.spikes) / denom : 0.0;
            json per_step = json::array();
            for (uint64_t n : L.spikes_per_step)
                per_step.push_back(images > 0 ? double(n) / (double(s.out.size()) * images) : 0.0);
            e["firing_rate_per_step"] = per_step;
            // Per neuron, in the published code's order (channel, row,
            // column); the runtime keeps them channel-last.
            const size_t H = s.out.h, W = s.out.w, C = s.out.c;
            const uint64_t all_steps = L.steps;  // a neuron can fire once per step
            std::vector<uint64_t> counts(s.out.size(), 0);
            std::vector<uint64_t> hist(kRateBins, 0), channel(C, 0), pixel(H * W, 0);
            uint64_t dead = 0, saturated = 0;
            for (size_t p = 0; p < H * W; ++p)
                for (size_t ch = 0; ch < C; ++ch) {
                    const uint64_t n = L.neuron_spikes.empty() ? 0 : L.neuron_spikes[p * C + ch];
                    counts[ch * H * W + p] = n;
                    channel[ch] += n;
                    pixel[p] += n;
                    dead += n == 0;
                    saturated += all_steps > 0 && n == all_steps;
                    const double r = all_steps ? double(n) / double(all_steps) : 0.0;
                    ++hist[std::min(kRateBins - 1, size_t(r * kRateBins))];
                }
            e["neuron_spikes"] = counts;
            e["dead_neurons"] = dead;
            e["saturated_neurons"] = saturated;
            e["neuron_rate_histogram"] = hist;
            if (s.kind != LayerKind::Linear) {
                json map = json::array(), rates = json::array();
                for (size_t y = 0; y < H; ++y) {
                    json row = json::array();
                    for (size_t x = 0; x < W; ++x)
                        row.push_back(all_steps ? double(pixel[y * W + x]) / double(C * all_steps) : 0.0);
                    map.push_back(row);
                }
                for (size_t ch = 0; ch < C; ++ch)
                    rates.push_back(all_steps ? double(channel[ch]) / double(H * W * all_steps) : 0.0);
                e["spatial_rate"] = map;
                e["channel_rate"] = rates;
            } else {
                e["spatial_rate"] = nullptr;
                e["channel_rate"] = nullptr;
            }
            total_dead += dead;
            total_saturated += saturated;
            neurons += s.out.size();
            spikes += L.spikes;
            neuron_steps += s.out.size() * L.steps;
        } else {
            e["spikes"] = nullptr;
            e["firing_rate"] = nullptr;
            e["firing_rate_per_step"] = nullptr;
            for (const char* k : {"neuron_spikes", "dead_neurons", "saturated_neurons",
                                  "neuron_rate_histogram", "spatial_rate", "channel_rate"})
                e[k] = nullptr;
        }
        // Image to image: the layer's rate and operations per image.
        if (per_image) {
            std::vector<double> rate, ops_i;
            for (size_t im = 0; im < n_images; ++im) {
                rate.push_back(double(c.image_spikes[im * n_layers + li]) / double(s.out.size() * I.time_steps));
                ops_i.push_back(double(c.image_ops[im * n_layers + li]));
                image_total_ops[im] += double(c.image_ops[im * n_layers + li]);
            }
            e["per_image"] = {{"firing_rate", s.spiking ? spread(rate) : json(nullptr)},
                              {"synaptic_ops", spread(ops_i)}};
        } else {
            e["per_image"] = nullptr;
        }
        // The first layer of a reconstruction sees real pixel values: its
        // operations are multiply-accumulates, every other one an addition.
        if (run.mode == Mode::Reconstruct && li == first) ops_mac += L.synaptic_ops;
        // The image layer's once-per-image product W * S (propagate.hpp) has
        // real-valued operands too.
        if (li == model.topology().final1) ops_mac += c.images * readout_macs(s);
        ops += L.synaptic_ops;
        macs += L.dense_macs;
        events += L.events;
        seconds += L.seconds;
        layers.push_back(e);
    }
    j["layers"] = layers;
    j["totals"] = {{"neurons", neurons},
                   {"spikes", spikes},
                   {"firing_rate", neuron_steps ? double(spikes) / double(neuron_steps) : 0.0},
                   {"events", events},
                   {"synaptic_ops", ops},
                   {"dense_macs", macs},
                   {"ops_fraction_of_dense", macs ? double(ops) / double(macs) : 0.0},
                   {"synaptic_ops_per_image", images > 0 ? double(ops) / images : 0.0},
                   {"dense_macs_per_image", images > 0 ? double(macs) / images : 0.0},
                   {"time_ms", 1e3 * seconds},
                   {"dead_neurons", total_dead},
                   {"saturated_neurons", total_saturated}};
    if (per_image) {
        json hist = json::array();
        const auto [lo, hi] = std::minmax_element(image_total_ops.begin(), image_total_ops.end());
        std::vector<uint64_t> bins(kImageBins, 0);
        for (double v : image_total_ops)
            ++bins[*hi > *lo ? std::min(kImageBins - 1, size_t((v - *lo) / (*hi - *lo) * kImageBins)) : 0];
        j["per_image"] = {{"synaptic_ops", spread(image_total_ops)},
                          {"synaptic_ops_histogram", {{"min", *lo}, {"max", *hi}, {"counts", bins}}}};
    } else {
        j["per_image"] = nullptr;
    }
    const double latent_slots = double(I.latent_dim) * I.time_steps * images;
    j["latent"] = {{"spikes", c.latent_spikes},
                   {"rate", latent_slots > 0 ? double(c.latent_spikes) / latent_slots : 0.0}};
    json per_latent = json::array();
    const double latent_steps = double(I.time_steps) * images;
    for (size_t ch = 0; ch < I.latent_dim; ++ch)
        per_latent.push_back(latent_steps > 0 && ch < c.latent_ones.size()
                                 ? double(c.latent_ones[ch]) / latent_steps : 0.0);
    j["latent"]["rate_per_latent"] = per_latent;
    j["latent"]["choice_counts"] = c.choices;

    json energy = json::array();
    bool found = false;
    for (const EnergyTable& t : kEnergyTables) {
        const double event_pj = images > 0
            ? (double(ops - ops_mac) * t.add_pj + double(ops_mac) * t.mac_pj) / images : 0.0;
        const double dense_pj = images > 0 ? double(macs) * t.mac_pj / images : 0.0;
        const bool selected = run.energy_table == t.name;
        found |= selected;
        energy.push_back({{"table", t.name},
                          {"source", t.source},
                          {"mac_pj", t.mac_pj},
                          {"add_pj", t.add_pj},
                          {"selected", selected},
                          {"event_driven_uj_per_image", event_pj * 1e-6},
                          {"dense_uj_per_image", dense_pj * 1e-6},
                          {"dense_over_event_driven", event_pj > 0 ? dense_pj / event_pj : 0.0}});
    }
    if (!found) throw Error("unknown energy table \"" + run.energy_table + "\" (fp32-45nm, fp16-45nm, int8-45nm)");
    j["energy"] = energy;
    j["energy_model"] =
        "event-driven: one addition per synaptic operation (a multiply-accumulate where an "
        "operand is a real value: the first layer of a reconstruction, the image layer's "
        "once-per-image readout); dense: one multiply-accumulate per dense MAC; memory "
        "traffic and membrane updates are not counted";
    return j;
}

}  // namespace fsvae::profile
