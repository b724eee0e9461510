// profile_compare.cpp: two profiles side by side (`fsvae profile --compare`):
// per-layer rate and operation deltas and the dead-neuron sets that differ,
// as JSON and as a self-contained HTML page.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include "../runtime/error.hpp"
#include "html_text.hpp"
#include "profile.hpp"

namespace fsvae::profile {
namespace {

using namespace html;

using json = nlohmann::ordered_json;

// Indices (published order) of the neurons that never fired.
std::vector<uint64_t> dead(const json& layer) {
    std::vector<uint64_t> d;
    const json& n = layer["neuron_spikes"];
    for (size_t i = 0; i < n.size(); ++i)
        if (n[i].get<uint64_t>() == 0) d.push_back(i);
    return d;
}

json run_summary(const json& p, const std::string& file) {
    return {{"file", file},
            {"model", p["model"]["file"]},
            {"mode", p["run"]["mode"]},
            {"images", p["run"]["images"]},
            {"seed", p["run"]["seed"]},
            {"firing_rate", p["totals"]["firing_rate"]},
            {"synaptic_ops_per_image", p["totals"]["synaptic_ops_per_image"]},
            {"dead_neurons", p["totals"]["dead_neurons"]},
            {"latent_rate", p["latent"]["rate"]}};
}

}  // namespace

json read_profile(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(path + ": cannot open");
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (f.bad()) throw Error(path + ": cannot read");
    json p = json::parse(text, nullptr, false);
    if (p.is_discarded()) throw Error(path + ": not JSON");
    if (!p.is_object() || p.value("format", "") != "fsvae-profile")
        throw Error(path + ": not an fsvae profile (no \"format\": \"fsvae-profile\")");
    if (!p["format_version"].is_number_integer() || p["format_version"].get<int>() != 2)
        throw Error(path + ": profile format_version " + p["format_version"].dump() +
                    ", this build compares version 2 (rerun fsvae profile)");
    // The fields the comparison reads, with their types: a profile edited by
    // hand fails here, with its name, not half way through.
    try {
        for (const char* k : {"model", "run", "totals", "latent"})
            if (!p[k].is_object()) throw Error(std::string("no \"") + k + "\" object");
        if (!p["layers"].is_array()) throw Error("no \"layers\" array");
        for (const json& l : p["layers"]) {
            (void)l.at("name").get<std::string>();
            (void)l.at("spiking").get<bool>();
            (void)l.at("synaptic_ops").get<double>();
            if (l["spiking"].get<bool>()) {
                (void)l.at("firing_rate").get<double>();
                (void)l.at("dead_neurons").get<uint64_t>();
                for (const json& n : l.at("neuron_spikes")) (void)n.get<uint64_t>();
            }
        }
        (void)p["run"].at("images").get<uint64_t>();
        (void)p["run"].at("mode").get<std::string>();
        (void)p["totals"].at("synaptic_ops_per_image").get<double>();
    } catch (const Error& e) {
        throw Error(path + ": malformed profile: " + e.what());
    } catch (const json::exception& e) {
        throw Error(path + ": malformed profile: " + std::string(e.what()));
    }
    return p;
}

json compare(const json& a, const json& b, const std::string& file_a, const std::string& file_b) {
    json d;
    d["format"] = "fsvae-profile-diff";
    d["format_version"] = 2;
    d["a"] = run_summary(a, file_a);
    d["b"] = run_summary(b, file_b);
    const double ia = std::max(1.0, num(a["run"]["images"])), ib = std::max(1.0, num(b["run"]["images"]));
    // Layers in A's order, then those only B runs.
    std::vector<std::string> names;
    for (const json& l : a["layers"]) names.push_back(l["name"].get<std::string>());
    for (const json& l : b["layers"])
        if (std::find(names.begin(), names.end(), l["name"].get<std::string>()) == names.end())
            names.push_back(l["name"].get<std::string>());
    const auto find = [](const json& p, const std::string& name) -> const json* {
        for (const json& l : p["layers"])
            if (l["name"].get<std::string>() == name) return &l;
        return nullptr;
    };
    json layers = json::array();
    for (const std::string& name : names) {
        const json *la = find(a, name), *lb = find(b, name);
        json e;
        e["name"] = name;
        e["in_a"] = la != nullptr;
        e["in_b"] = lb != nullptr;
        const auto rate = [](const json* l) { return l && l->at("spiking").get<bool>() ? l->at("firing_rate") : json(nullptr); };
        e["firing_rate_a"] = rate(la);
        e["firing_rate_b"] = rate(lb);
        e["firing_rate_delta"] = e["firing_rate_a"].is_null() || e["firing_rate_b"].is_null()
                                     ? json(nullptr)
                                     : json(num(e["firing_rate_b"]) - num(e["firing_rate_a"]));
        const json oa = la ? json(num((*la)["synaptic_ops"]) / ia) : json(nullptr);
        const json ob = lb ? json(num((*lb)["synaptic_ops"]) / ib) : json(nullptr);
        e["synaptic_ops_per_image_a"] = oa;
        e["synaptic_ops_per_image_b"] = ob;
        e["synaptic_ops_per_image_delta"] = la && lb ? json(num(ob) - num(oa)) : json(nullptr);
        e["dead_a"] = la && (*la)["spiking"].get<bool>() ? (*la)["dead_neurons"] : json(nullptr);
        e["dead_b"] = lb && (*lb)["spiking"].get<bool>() ? (*lb)["dead_neurons"] : json(nullptr);
        // Dead sets, where both runs have the same neurons.
        if (la && lb && (*la)["spiking"].get<bool>() && (*lb)["spiking"].get<bool>() &&
            (*la)["neuron_spikes"].size() == (*lb)["neuron_spikes"].size()) {
            const std::vector<uint64_t> da = dead(*la), db = dead(*lb);
            std::vector<uint64_t> only_a, only_b, both;
            std::set_difference(da.begin(), da.end(), db.begin(), db.end(), std::back_inserter(only_a));
            std::set_difference(db.begin(), db.end(), da.begin(), da.end(), std::back_inserter(only_b));
            std::set_intersection(da.begin(), da.end(), db.begin(), db.end(), std::back_inserter(both));
            e["dead_in_both"] = both.size();
            e["dead_only_a"] = only_a;
            e["dead_only_b"] = only_b;
        } else {
            e["dead_in_both"] = e["dead_only_a"] = e["dead_only_b"] = nullptr;
        }
        layers.push_back(e);
    }
    d["layers"] = layers;
    d["totals"] = {
        {"firing_rate_delta", num(b["totals"]["firing_rate"]) - num(a["totals"]["firing_rate"])},
        {"synaptic_ops_per_image_delta",
         num(b["totals"]["synaptic_ops_per_image"]) - num(a["totals"]["synaptic_ops_per_image"])},
        {"latent_rate_delta", num(b["latent"]["rate"]) - num(a["latent"]["rate"])}};
    return d;
}

std::string html_compare(const json& d) {
    std::ostringstream o;
    o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>fsvae profile comparison</title>"
      << "<style>body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}h1{font-size:20px}"
      << "h2{font-size:16px;margin-top:28px}table{border-collapse:collapse;font-size:13px}"
      << "td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}"
      << "td:first-child,th:first-child{text-align:left}.note{color:#666;font-size:12px}"
      << ".up{color:#b2182b}.down{color:#2166ac}svg text{font-family:sans-serif;font-size:12px}</style></head><body>\n";
    o << "<h1>FSVAE profile comparison: A vs B</h1>\n<table id=\"runs\"><tr><th></th><th>file</th><th>model</th>"
      << "<th>mode</th><th>images</th><th>seed</th><th>firing rate</th><th>synaptic ops / image</th>"
      << "<th>dead neurons</th><th>latent rate</th></tr>\n";
    for (const char* k : {"a", "b"}) {
        const json& r = d[k];
        o << "<tr><td>" << (k[0] == 'a' ? "A" : "B") << "</td><td>" << esc(r["file"].get<std::string>())
          << "</td><td>" << esc(r["model"].get<std::string>()) << "</td><td>" << esc(r["mode"].get<std::string>())
          << "</td><td>" << r["images"] << "</td><td>" << r["seed"] << "</td><td>"
          << fmt("%.4f", num(r["firing_rate"])) << "</td><td>" << si(num(r["synaptic_ops_per_image"]))
          << "</td><td>" << r["dead_neurons"] << "</td><td>" << fmt("%.4f", num(r["latent_rate"])) << "</td></tr>\n";
    }
    o << "</table>\n";

    // Rate deltas as diverging bars around zero.
    const json& layers = d["layers"];
    double m = 1e-9;
    for (const json& l : layers) m = std::max(m, std::abs(num(l["firing_rate_delta"])));
    const int left = 170, half = 260, rh = 22, h = int(layers.size()) * rh + 30, w = left + 2 * half + 90;
    o << "<h2>Firing rate, B &#8722; A, per layer</h2>\n<svg id=\"rate-delta\" width=\"" << w << "\" height=\"" << h
      << "\" viewBox=\"0 0 " << w << " " << h << "\"><line x1=\"" << left + half << "\" x2=\"" << left + half
      << "\" y1=\"0\" y2=\"" << h - 20 << "\" stroke=\"#888\"/>\n";
    for (size_t i = 0; i < layers.size(); ++i) {
        const json& l = layers[i];
        const int y = int(i) * rh + 4;
        o << "<text x=\"" << left - 8 << "\" y=\"" << y + 13 << "\" text-anchor=\"end\">"
          << esc(l["name"].get<std::string>()) << "</text>";
        if (l["firing_rate_delta"].is_null()) continue;
        const double v = num(l["firing_rate_delta"]);
        const int len = int(half * std::abs(v) / m);
        o << "<rect class=\"delta\" x=\"" << (v < 0 ? left + half - len : left + half) << "\" y=\"" << y
          << "\" width=\"" << std::max(1, len) << "\" height=\"" << rh - 6 << "\" fill=\""
          << (v < 0 ? "#2166ac" : "#b2182b") << "\"><title>" << fmt("%+.5f", v) << "</title></rect>"
          << "<text x=\"" << left + 2 * half + 6 << "\" y=\"" << y + 13 << "\">" << fmt("%+.4f", v) << "</text>\n";
    }
    o << "<text x=\"" << left << "\" y=\"" << h - 6 << "\">" << fmt("%.4f", -m) << "</text><text x=\""
      << left + 2 * half << "\" y=\"" << h - 6 << "\" text-anchor=\"end\">" << fmt("+%.4f", m) << "</text></svg>\n";

    const auto cell = [&](const json& v, const char* f) { return v.is_null() ? std::string("-") : fmt(f, num(v)); };
    const auto cls = [](const json& v) {
        return v.is_null() || num(v) == 0 ? std::string() : num(v) > 0 ? std::string(" class=\"up\"") : std::string(" class=\"down\"");
    };
    const auto list = [&](const json& v) {
        if (v.is_null()) return std::string("-");
        std::string s = std::to_string(v.size());
        if (!v.empty()) {
            s += " <span class=\"note\">(";
            for (size_t i = 0; i < v.size() && i < 8; ++i) s += (i ? ", " : "") + std::to_string(v[i].get<uint64_t>());
            s += v.size() > 8 ? ", ...)" : ")";
            s += "</span>";
        }
        return s;
    };
    o << "<h2>Per layer</h2>\n<table id=\"layers\"><tr><th>layer</th><th>rate A</th><th>rate B</th><th>&#916; rate</th>"
      << "<th>ops/image A</th><th>ops/image B</th><th>&#916; ops</th><th>dead A</th><th>dead B</th>"
      << "<th>dead only in A</th><th>dead only in B</th></tr>\n";
    for (const json& l : layers) {
        const json& da = l["synaptic_ops_per_image_a"];
        const json& dd = l["synaptic_ops_per_image_delta"];
        o << "<tr><td>" << esc(l["name"].get<std::string>()) << "</td><td>" << cell(l["firing_rate_a"], "%.4f")
          << "</td><td>" << cell(l["firing_rate_b"], "%.4f") << "</td><td" << cls(l["firing_rate_delta"]) << ">"
          << cell(l["firing_rate_delta"], "%+.4f") << "</td><td>" << (da.is_null() ? "-" : si(num(da)))
          << "</td><td>" << (l["synaptic_ops_per_image_b"].is_null() ? "-" : si(num(l["synaptic_ops_per_image_b"])))
          << "</td><td" << cls(dd) << ">"
          << (dd.is_null() ? std::string("-")
                           : si(num(dd), true) + (num(da) > 0 ? fmt(" (%+.1f%%)", 100 * num(dd) / num(da)) : ""))
          << "</td><td>" << cell(l["dead_a"], "%.0f") << "</td><td>" << cell(l["dead_b"], "%.0f") << "</td><td>"
          << list(l["dead_only_a"]) << "</td><td>" << list(l["dead_only_b"]) << "</td></tr>\n";
    }
    const json& t = d["totals"];
    o << "</table>\n<p>Overall firing rate " << fmt("%+.4f", num(t["firing_rate_delta"])) << ", synaptic ops per image "
      << si(num(t["synaptic_ops_per_image_delta"]), true) << ", latent rate "
      << fmt("%+.4f", num(t["latent_rate_delta"])) << " (B &#8722; A).</p>\n"
      << "<p class=\"note\">Dead neurons are indexed in the published code's order (channel, row, column); "
      << "the first 8 of each set are listed, the JSON holds them all.</p>\n</body></html>\n";
    return o.str();
}

}  // namespace fsvae::profile
