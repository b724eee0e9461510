// profile_json.cpp: counters -> the profile JSON. Every figure is derived
// here from the counters; definitions are in the README.
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
    j["format_version"] = 1;
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
    double seconds = 0;
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
            neurons += s.out.size();
            spikes += L.spikes;
            neuron_steps += s.out.size() * L.steps;
        } else {
            e["spikes"] = nullptr;
            e["firing_rate"] = nullptr;
            e["firing_rate_per_step"] = nullptr;
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
                   {"time_ms", 1e3 * seconds}};
    const double latent_slots = double(I.latent_dim) * I.time_steps * images;
    j["latent"] = {{"spikes", c.latent_spikes},
                   {"rate", latent_slots > 0 ? double(c.latent_spikes) / latent_slots : 0.0}};

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
