// profile_report.cpp: the profile as a self-contained HTML page (inline SVG,
// no scripts, no external resources): a heat map of firing rate per layer and
// time step, a bar chart of synaptic operations against dense MACs per layer,
// and the per-layer table.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "html_text.hpp"
#include "profile.hpp"

namespace fsvae::profile {
namespace {

using namespace html;

// A perceptually ordered ramp (viridis anchors), v in [0, 1].
std::string color(double v) {
    static const double stops[][3] = {{68, 1, 84},    {59, 82, 139},  {33, 145, 140},
                                      {94, 201, 98},  {253, 231, 37}};
    v = std::clamp(v, 0.0, 1.0) * 4.0;
    const int i = std::min(3, int(v));
    const double f = v - i;
    char b[16];
    std::snprintf(b, sizeof b, "#%02x%02x%02x", int(stops[i][0] + f * (stops[i + 1][0] - stops[i][0])),
                  int(stops[i][1] + f * (stops[i + 1][1] - stops[i][1])),
                  int(stops[i][2] + f * (stops[i + 1][2] - stops[i][2])));
    return b;
}

// A small heat map of rows x cols values scaled to [0, vmax], cell x cell px.
void heat(std::ostream& o, const std::vector<std::vector<double>>& rows, int cell, double vmax,
          const std::string& cls, const std::string& what) {
    const int h = int(rows.size()) * cell, w = rows.empty() ? 0 : int(rows[0].size()) * cell;
    o << "<svg class=\"" << cls << "\" width=\"" << w << "\" height=\"" << h << "\" viewBox=\"0 0 " << w
      << " " << h << "\">";
    for (size_t y = 0; y < rows.size(); ++y)
        for (size_t x = 0; x < rows[y].size(); ++x)
            o << "<rect x=\"" << int(x) * cell << "\" y=\"" << int(y) * cell << "\" width=\"" << cell
              << "\" height=\"" << cell << "\" fill=\"" << color(vmax > 0 ? rows[y][x] / vmax : 0)
              << "\"><title>" << what << " (" << y << ", " << x << "): " << fmt("%.4f", rows[y][x])
              << "</title></rect>";
    o << "</svg>";
}

// Bars of `counts` (w x h px), the largest full height.
void bars(std::ostream& o, const std::vector<double>& counts, int w, int h, const std::string& cls,
          const std::string& fill, const std::vector<std::string>& tips) {
    double m = 0;
    for (double c : counts) m = std::max(m, c);
    const double bw = counts.empty() ? 0 : double(w) / double(counts.size());
    o << "<svg class=\"" << cls << "\" width=\"" << w << "\" height=\"" << h << "\" viewBox=\"0 0 " << w
      << " " << h << "\"><rect width=\"" << w << "\" height=\"" << h << "\" fill=\"#f4f4f4\"/>";
    for (size_t i = 0; i < counts.size(); ++i) {
        const double bh = m > 0 ? (h - 2) * counts[i] / m : 0;
        o << "<rect x=\"" << fmt("%.1f", double(i) * bw) << "\" y=\"" << fmt("%.1f", h - bh) << "\" width=\""
          << fmt("%.1f", std::max(1.0, bw - 1)) << "\" height=\"" << fmt("%.1f", bh) << "\" fill=\"" << fill
          << "\"><title>" << (i < tips.size() ? tips[i] : "") << ": " << counts[i] << "</title></rect>";
    }
    o << "</svg>";
}

// One box plot row: whiskers min..max, box q1..q3, median line; x = v * scale.
void box(std::ostream& o, const nlohmann::ordered_json& q, double scale, int x0, int y, int h,
         const std::string& label) {
    const auto X = [&](const char* k) { return x0 + int(num(q[k]) * scale); };
    o << "<g class=\"box\"><title>" << label << ": min " << fmt("%.4g", num(q.at("min"))) << ", q1 "
      << fmt("%.4g", num(q.at("q1"))) << ", median " << fmt("%.4g", num(q.at("median"))) << ", q3 "
      << fmt("%.4g", num(q.at("q3"))) << ", max " << fmt("%.4g", num(q.at("max"))) << "</title>"
      << "<line x1=\"" << X("min") << "\" x2=\"" << X("max") << "\" y1=\"" << y + h / 2 << "\" y2=\""
      << y + h / 2 << "\" stroke=\"#555\"/>"
      << "<line x1=\"" << X("min") << "\" x2=\"" << X("min") << "\" y1=\"" << y + 2 << "\" y2=\"" << y + h - 2
      << "\" stroke=\"#555\"/><line x1=\"" << X("max") << "\" x2=\"" << X("max") << "\" y1=\"" << y + 2
      << "\" y2=\"" << y + h - 2 << "\" stroke=\"#555\"/>"
      << "<rect x=\"" << X("q1") << "\" y=\"" << y << "\" width=\"" << std::max(1, X("q3") - X("q1"))
      << "\" height=\"" << h << "\" fill=\"#9ecae1\" stroke=\"#3182bd\"/>"
      << "<line x1=\"" << X("median") << "\" x2=\"" << X("median") << "\" y1=\"" << y << "\" y2=\"" << y + h
      << "\" stroke=\"#08306b\" stroke-width=\"2\"/></g>";
}

std::vector<double> doubles(const nlohmann::ordered_json& a) {
    std::vector<double> v;
    if (a.is_array())
        for (const auto& x : a) v.push_back(num(x));
    return v;
}

const char* kStyle =
    "body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}"
    "h1{font-size:20px}h2{font-size:16px;margin-top:28px}"
    "table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}"
    "td:first-child,th:first-child{text-align:left}.note{color:#666;font-size:12px}"
    "td.fig{text-align:left;vertical-align:middle}td.fig svg{vertical-align:middle;margin-right:6px}td.fig .note{display:block}"
    ".up{color:#b2182b}.down{color:#2166ac}"
    "svg text{font-family:sans-serif;font-size:12px}";

}  // namespace

std::string html_report(const nlohmann::ordered_json& p) {
    std::ostringstream o;
    const auto& model = p.at("model");
    const auto& run = p.at("run");
    std::vector<const nlohmann::ordered_json*> spiking;
    for (const auto& l : p.at("layers"))
        if (l.at("spiking").get<bool>()) spiking.push_back(&l);
    const size_t T = model.at("time_steps").get<size_t>();
    double max_rate = 0;
    for (auto* l : spiking)
        for (const auto& r : (*l).at("firing_rate_per_step")) max_rate = std::max(max_rate, r.get<double>());
    if (max_rate <= 0) max_rate = 1;

    o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      << "<title>fsvae profile</title><style>" << kStyle << "</style></head><body>\n";
    o << "<h1>FSVAE spike profile: " << esc(model.at("variant").get<std::string>()) << " ("
      << esc(model.at("dataset").get<std::string>()) << "), " << run.at("mode").get<std::string>() << ", "
      << run.at("images").get<uint64_t>() << " images</h1>\n";
    o << "<p class=\"note\">Model " << esc(model.at("file").get<std::string>()) << " (source "
      << esc(model.at("source").get<std::string>()) << ")";
    if (!run.at("input").is_null())
        o << "; input " << esc(run.at("input").get<std::string>()) << " from image " << run.at("offset");
    o << "; T = " << T
      << ", k = " << model.at("k") << ", latent " << model.at("latent_dim") << "; kernels "
      << esc(run.at("kernels").get<std::string>()) << ". Latent spike rate "
      << fmt("%.3f", p.at("latent").at("rate").get<double>()) << ", overall firing rate "
      << fmt("%.3f", p.at("totals").at("firing_rate").get<double>()) << ".</p>\n";

    // Heat map.
    const int cell_w = 36, cell_h = 24, left = 170, top = 30;
    const int hw = left + int(T) * cell_w + 120, hh = top + int(spiking.size()) * cell_h + 40;
    o << "<h2>Firing rate per layer and time step</h2>\n<svg id=\"heatmap\" width=\"" << hw
      << "\" height=\"" << hh << "\" viewBox=\"0 0 " << hw << " " << hh << "\">\n";
    for (size_t t = 0; t < T; ++t)
        o << "<text x=\"" << left + int(t) * cell_w + cell_w / 2 << "\" y=\"" << top - 8
          << "\" text-anchor=\"middle\">" << t << "</text>";
    for (size_t r = 0; r < spiking.size(); ++r) {
        const auto& l = *spiking[r];
        const int y = top + int(r) * cell_h;
        o << "<text x=\"" << left - 8 << "\" y=\"" << y + cell_h / 2 + 4 << "\" text-anchor=\"end\">"
          << esc(l.at("name").get<std::string>()) << "</text>";
        const auto& rates = l.at("firing_rate_per_step");
        for (size_t t = 0; t < T && t < rates.size(); ++t) {
            const double v = rates[t].get<double>();
            o << "<rect class=\"cell\" x=\"" << left + int(t) * cell_w << "\" y=\"" << y
              << "\" width=\"" << cell_w - 1 << "\" height=\"" << cell_h - 1 << "\" fill=\""
              << color(v / max_rate) << "\"><title>" << esc(l.at("name").get<std::string>())
              << ", step " << t << ": " << fmt("%.4f", v) << "</title></rect>";
        }
        o << "\n";
    }
    o << "<text x=\"" << left + int(T) * cell_w / 2 << "\" y=\"" << hh - 8
      << "\" text-anchor=\"middle\">time step</text>";
    // Legend.
    const int lx = left + int(T) * cell_w + 30;
    for (int i = 0; i < 10; ++i)
        o << "<rect x=\"" << lx << "\" y=\"" << top + (9 - i) * 16 << "\" width=\"16\" height=\"16\" fill=\""
          << color(i / 9.0) << "\"/>";
    o << "<text x=\"" << lx + 22 << "\" y=\"" << top + 12 << "\">" << fmt("%.2f", max_rate) << "</text>"
      << "<text x=\"" << lx + 22 << "\" y=\"" << top + 9 * 16 + 12 << "\">0</text></svg>\n";

    // Operations chart, log scale.
    const auto& layers = p.at("layers");
    const double images = std::max(1.0, run.at("images").get<double>());
    double max_ops = 1;  // per image
    for (const auto& l : layers)
        max_ops = std::max({max_ops, l.at("dense_macs").get<double>() / images,
                            l.at("synaptic_ops").get<double>() / images});
    const double lo = 1e3, span = std::log10(max_ops / lo);
    const int bar_w = 560, row_h = 34, bl = 170;
    const int bh = 40 + int(layers.size()) * row_h + 30, bw = bl + bar_w + 160;
    auto len = [&](double v) { return v <= lo ? 0 : int(bar_w * std::log10(v / lo) / span); };
    o << "<h2>Synaptic operations vs dense multiply-accumulates per image (log scale)</h2>\n"
      << "<svg id=\"ops\" width=\"" << bw << "\" height=\"" << bh << "\" viewBox=\"0 0 " << bw << " "
      << bh << "\">\n";
    o << "<rect x=\"" << bl << "\" y=\"6\" width=\"12\" height=\"12\" fill=\"#e4572e\"/><text x=\"" << bl + 18
      << "\" y=\"17\">synaptic ops (event-driven)</text><rect x=\"" << bl + 230
      << "\" y=\"6\" width=\"12\" height=\"12\" fill=\"#8fa3b8\"/><text x=\"" << bl + 248
      << "\" y=\"17\">dense MACs</text>\n";
    for (size_t i = 0; i < layers.size(); ++i) {
        const auto& l = layers[i];
        const double ops = l.at("synaptic_ops").get<double>() / images;
        const double macs = l.at("dense_macs").get<double>() / images;
        const int y = 30 + int(i) * row_h;
        o << "<text x=\"" << bl - 8 << "\" y=\"" << y + 17 << "\" text-anchor=\"end\">"
          << esc(l.at("name").get<std::string>()) << "</text>"
          << "<rect class=\"bar-ops\" x=\"" << bl << "\" y=\"" << y << "\" width=\"" << len(ops)
          << "\" height=\"13\" fill=\"#e4572e\"><title>" << si(ops) << " synaptic ops</title></rect>"
          << "<rect class=\"bar-dense\" x=\"" << bl << "\" y=\"" << y + 14 << "\" width=\"" << len(macs)
          << "\" height=\"13\" fill=\"#8fa3b8\"><title>" << si(macs) << " dense MACs</title></rect>"
          << "<text x=\"" << bl + std::max(len(ops), len(macs)) + 6 << "\" y=\"" << y + 17 << "\">"
          << si(ops) << " / " << si(macs) << "</text>\n";
    }
    o << "<text x=\"" << bl << "\" y=\"" << bh - 6 << "\">1k</text><text x=\"" << bl + bar_w
      << "\" y=\"" << bh - 6 << "\" text-anchor=\"end\">" << si(max_ops) << "</text></svg>\n";

    // Table.
    o << "<h2>Per layer</h2>\n<table><tr><th>layer</th><th>neurons</th><th>firing rate</th>"
      << "<th>synaptic ops / image</th><th>dense MACs / image</th><th>ops / dense</th><th>ops / image, min&#8211;max</th><th>time ms (all images)</th></tr>\n";
    for (const auto& l : layers) {
        const double ops = l.at("synaptic_ops").get<double>(), macs = l.at("dense_macs").get<double>();
        o << "<tr><td>" << esc(l.at("name").get<std::string>()) << "</td><td>" << l.at("neurons") << "</td><td>"
          << (l.at("firing_rate").is_null() ? std::string("-") : fmt("%.4f", l.at("firing_rate").get<double>()))
          << "</td><td>" << si(ops / images) << "</td><td>" << si(macs / images) << "</td><td>"
          << fmt("%.3f", macs > 0 ? ops / macs : 0.0) << "</td><td>"
          << (l.at("per_image").is_null() ? std::string("-")
                                      : si(num(l.at("per_image").at("synaptic_ops").at("min"))) + "&#8211;" +
                                            si(num(l.at("per_image").at("synaptic_ops").at("max"))))
          << "</td><td>" << fmt("%.2f", l.at("time_ms").get<double>()) << "</td></tr>\n";
    }
    const auto& tot = p.at("totals");
    o << "<tr><th>total</th><th>" << tot.at("neurons") << "</th><th>"
      << fmt("%.4f", tot.at("firing_rate").get<double>()) << "</th><th>"
      << si(tot.at("synaptic_ops_per_image").get<double>()) << "</th><th>"
      << si(tot.at("dense_macs_per_image").get<double>()) << "</th><th>"
      << fmt("%.3f", tot.at("ops_fraction_of_dense").get<double>()) << "</th><th>"
      << (p.at("per_image").is_null() ? std::string("-")
                                  : si(num(p.at("per_image").at("synaptic_ops").at("min"))) + "&#8211;" +
                                        si(num(p.at("per_image").at("synaptic_ops").at("max"))))
      << "</th><th>" << fmt("%.2f", tot.at("time_ms").get<double>()) << "</th></tr></table>\n";

    // Where neurons fire, per spiking layer.
    o << "<h2>Neurons per layer: rate histogram, firing map, channels</h2>\n<p class=\"note\">Per neuron, "
      << "its spikes over all images and steps / (" << T << " x images). Histogram: neurons per rate bin "
      << "(0 to 1 in tenths). Map: rate per pixel, summed over channels (H x W); strip: rate per channel; "
      << "both coloured from 0 to the layer's own maximum (shown). Dead: never fired; saturated: fired "
      << "at every step of every image.</p>\n<table id=\"neurons\"><tr><th>layer</th><th>neurons</th>"
      << "<th>dead</th><th>saturated</th><th>rate histogram</th><th>firing map (H x W)</th>"
      << "<th>rate per channel (rows of 32)</th></tr>\n";
    for (auto* lp : spiking) {
        const auto& l = *lp;
        const std::string name = esc(l.at("name").get<std::string>());
        o << "<tr><td>" << name << "</td><td>" << l.at("neurons") << "</td><td>" << l.at("dead_neurons")
          << "</td><td>" << l.at("saturated_neurons") << "</td><td class=\"fig\">";
        std::vector<std::string> tips;
        for (int b = 0; b < 10; ++b) tips.push_back("rate " + fmt("%.1f", b / 10.0) + "-" + fmt("%.1f", (b + 1) / 10.0));
        bars(o, doubles(l.at("neuron_rate_histogram")), 120, 36, "hist", "#6a51a3", tips);
        o << "</td>";
        if (l.at("spatial_rate").is_array()) {
            std::vector<std::vector<double>> map;
            for (const auto& row : l.at("spatial_rate")) map.push_back(doubles(row));
            double m = 0;
            for (const auto& row : map)
                for (double v : row) m = std::max(m, v);
            o << "<td class=\"fig\">";
            heat(o, map, std::max(3, 96 / std::max<int>(1, int(map.size()))), m, "spatial", name + " pixel");
            o << "<span class=\"note\">" << map.size() << " x " << (map.empty() ? 0 : map[0].size()) << ", max "
              << fmt("%.3f", m) << "</span></td><td class=\"fig\">";
            const std::vector<double> ch = doubles(l.at("channel_rate"));
            double mc = 0;
            for (double v : ch) mc = std::max(mc, v);
            std::vector<std::vector<double>> grid;
            for (size_t i = 0; i < ch.size(); i += 32)
                grid.emplace_back(ch.begin() + long(i), ch.begin() + long(std::min(ch.size(), i + 32)));
            if (grid.size() > 1) grid.back().resize(32, 0.0);
            heat(o, grid, 7, mc, "channels", name + " channel (row, column)");
            o << "<span class=\"note\">" << ch.size() << " channels, max " << fmt("%.3f", mc) << "</span></td>";
        } else {
            o << "<td class=\"note\" colspan=\"2\">linear layer: no map</td>";
        }
        o << "</tr>\n";
    }
    o << "</table>\n";

    // Spread over images.
    if (!p.at("per_image").is_null()) {
        const int bx = 170, bwid = 520, rh = 22;
        o << "<h2>Spread over images: firing rate per image (box: quartiles, whiskers: min and max)</h2>\n";
        double rmax = 0;
        for (auto* lp : spiking) rmax = std::max(rmax, num((*lp).at("per_image").at("firing_rate").at("max")));
        if (rmax <= 0) rmax = 1;
        const int sh = int(spiking.size()) * rh + 30;
        o << "<svg id=\"spread\" width=\"" << bx + bwid + 120 << "\" height=\"" << sh << "\" viewBox=\"0 0 "
          << bx + bwid + 120 << " " << sh << "\">\n";
        for (size_t r = 0; r < spiking.size(); ++r) {
            const auto& l = *spiking[r];
            const int y = int(r) * rh + 4;
            const auto& q = l.at("per_image").at("firing_rate");
            o << "<text x=\"" << bx - 8 << "\" y=\"" << y + 13 << "\" text-anchor=\"end\">"
              << esc(l.at("name").get<std::string>()) << "</text>";
            box(o, q, bwid / rmax, bx, y, rh - 6, esc(l.at("name").get<std::string>()) + " rate");
            o << "<text x=\"" << bx + bwid + 8 << "\" y=\"" << y + 13 << "\">" << fmt("%.3f", num(q.at("min")))
              << "&#8211;" << fmt("%.3f", num(q.at("max"))) << "</text>\n";
        }
        o << "<text x=\"" << bx << "\" y=\"" << sh - 6 << "\">0</text><text x=\"" << bx + bwid << "\" y=\""
          << sh - 6 << "\" text-anchor=\"end\">" << fmt("%.3f", rmax) << "</text></svg>\n";

        const auto& pi = p.at("per_image");
        const auto& h = pi.at("synaptic_ops_histogram");
        const double hlo = num(h.at("min")), hhi = num(h.at("max"));
        const std::vector<double> counts = doubles(h.at("counts"));
        std::vector<std::string> tips;
        for (size_t b = 0; b < counts.size(); ++b)
            tips.push_back(si(hlo + (hhi - hlo) * double(b) / double(counts.size())) + " to " +
                           si(hlo + (hhi - hlo) * double(b + 1) / double(counts.size())) + " ops");
        const auto& q = pi.at("synaptic_ops");
        o << "<h2>Synaptic operations per image (the work, so the latency, of each image)</h2>\n"
          << "<p>min " << si(num(q.at("min"))) << ", q1 " << si(num(q.at("q1"))) << ", median " << si(num(q.at("median")))
          << ", q3 " << si(num(q.at("q3"))) << ", max " << si(num(q.at("max"))) << " (max / min "
          << fmt("%.2f", num(q.at("min")) > 0 ? num(q.at("max")) / num(q.at("min")) : 0.0) << ")</p>\n<div>";
        bars(o, counts, 520, 90, "ops-hist", "#e4572e", tips);
        o << "<br><span class=\"note\">images per bin, " << si(hlo) << " to " << si(hhi) << " synaptic ops</span></div>\n";
    }

    // Latent code.
    {
        const auto& lat = p.at("latent");
        const std::vector<double> rates = doubles(lat.at("rate_per_latent"));
        double m = 0;
        for (double v : rates) m = std::max(m, v);
        o << "<h2>Latent code</h2>\n<p>Rate per latent (ones of z_c / (T x images)), coloured 0 to "
          << fmt("%.3f", m) << ":</p>\n";
        std::vector<std::vector<double>> strip{rates};
        heat(o, strip, std::max(2, std::min(16, 1024 / std::max<int>(1, int(rates.size())))), m, "latent",
             "latent");
        const std::vector<double> ch = doubles(lat.at("choice_counts"));
        std::vector<std::string> tips;
        for (size_t r = 0; r < ch.size(); ++r) tips.push_back("r = " + std::to_string(r));
        o << "<p>Sampler choices: how often each r in 0.." << (ch.empty() ? 0 : ch.size() - 1)
          << " (which of a latent's k outputs it takes) was drawn:</p>\n";
        bars(o, ch, int(ch.size()) * 20, 60, "choices", "#3182bd", tips);
        o << "\n";
    }

    o << "<h2>Energy estimate per image</h2>\n<table><tr><th>table</th><th>MAC pJ</th><th>add pJ</th>"
      << "<th>event-driven &micro;J</th><th>dense &micro;J</th><th>dense / event-driven</th></tr>\n";
    for (const auto& e : p.at("energy"))
        o << "<tr><td>" << esc(e.at("table").get<std::string>()) << "</td><td>" << e.at("mac_pj") << "</td><td>"
          << e.at("add_pj") << "</td><td>" << fmt("%.2f", e.at("event_driven_uj_per_image").get<double>())
          << "</td><td>" << fmt("%.2f", e.at("dense_uj_per_image").get<double>()) << "</td><td>"
          << fmt("%.2f", e.at("dense_over_event_driven").get<double>()) << "</td></tr>\n";
    o << "</table><p class=\"note\">Source: " << esc(p.at("energy")[0].at("source").get<std::string>())
      << ". " << esc(p.at("energy_model").get<std::string>()) << ".</p>\n</body></html>\n";
    return o.str();
}

}  // namespace fsvae::profile
