// profile_figures.cpp: the report's pictures as PNG files (`fsvae profile
// --figures DIR`), drawn here from the profile with the runtime's PNG writer
// (stb_image_write): every pixel block is one value, so a figure is exact and
// needs no browser. They carry no text; figures.json says what each shows and
// the value its brightest colour stands for.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "../runtime/image_output.hpp"
#include "profile.hpp"

namespace fsvae::profile {
namespace {

using json = nlohmann::ordered_json;

double num(const json& v) { return v.is_number() ? v.get<double>() : 0.0; }

// The report's ramp (viridis anchors), v in [0, 1].
void ramp(double v, uint8_t* rgb) {
    static const double stops[][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    v = std::clamp(std::isfinite(v) ? v : 0.0, 0.0, 1.0) * 4.0;
    const int i = std::min(3, int(v));
    const double f = v - i;
    for (int k = 0; k < 3; ++k) rgb[k] = uint8_t(stops[i][k] + f * (stops[i + 1][k] - stops[i][k]));
}

// rows x cols values as cells of cell x cell pixels, 0..vmax on the ramp.
Grid heat(const std::vector<std::vector<double>>& rows, size_t cell, double vmax) {
    Grid g;
    g.channels = 3;
    g.height = rows.size() * cell;
    g.width = rows.empty() ? 0 : rows[0].size() * cell;
    g.pixels.assign(g.width * g.height * 3, 0);
    for (size_t y = 0; y < g.height; ++y)
        for (size_t x = 0; x < g.width; ++x) {
            const std::vector<double>& row = rows[y / cell];
            const double v = x / cell < row.size() ? row[x / cell] : 0.0;
            ramp(vmax > 0 ? v / vmax : 0.0, &g.pixels[(y * g.width + x) * 3]);
        }
    return g;
}

// Bars, bar_w wide, h tall, the largest full height; grey background.
Grid bars(const std::vector<double>& v, size_t bar_w, size_t h, const uint8_t rgb[3]) {
    Grid g;
    g.channels = 3;
    g.width = v.size() * bar_w;
    g.height = h;
    g.pixels.assign(g.width * g.height * 3, 244);
    double m = 0;
    for (double x : v) m = std::max(m, x);
    for (size_t i = 0; i < v.size(); ++i) {
        const size_t bh = m > 0 ? size_t(std::lround(double(h) * v[i] / m)) : 0;
        for (size_t y = h - bh; y < h; ++y)
            for (size_t x = i * bar_w; x + 1 < (i + 1) * bar_w || (bar_w == 1 && x == i); ++x)
                std::copy(rgb, rgb + 3, &g.pixels[(y * g.width + x) * 3]);
    }
    return g;
}

// Box plots, one row of row_h pixels per entry of q (min, q1, median, q3,
// max), over w pixels for 0..vmax: whiskers grey, box blue, median dark.
Grid boxes(const std::vector<const json*>& q, size_t w, size_t row_h, double vmax) {
    Grid g;
    g.channels = 3;
    g.width = w;
    g.height = q.size() * row_h;
    g.pixels.assign(g.width * g.height * 3, 255);
    const auto X = [&](const json& v) {
        return std::min(w - 1, size_t(std::max(0.0, v.get<double>()) / (vmax > 0 ? vmax : 1.0) * double(w - 1)));
    };
    const auto fill = [&](size_t x0, size_t x1, size_t y0, size_t y1, uint8_t r, uint8_t gr, uint8_t b) {
        for (size_t y = y0; y < y1; ++y)
            for (size_t x = x0; x <= x1; ++x) {
                uint8_t* p = &g.pixels[(y * g.width + x) * 3];
                p[0] = r, p[1] = gr, p[2] = b;
            }
    };
    for (size_t i = 0; i < q.size(); ++i) {
        const json& b = *q[i];
        const size_t y = i * row_h;
        fill(X(b.at("min")), X(b.at("max")), y + row_h / 2 - 1, y + row_h / 2 + 1, 85, 85, 85);
        fill(X(b.at("min")), X(b.at("min")), y + 3, y + row_h - 3, 85, 85, 85);
        fill(X(b.at("max")), X(b.at("max")), y + 3, y + row_h - 3, 85, 85, 85);
        fill(X(b.at("q1")), X(b.at("q3")), y + 2, y + row_h - 2, 158, 202, 225);
        fill(X(b.at("median")), std::min(w - 1, X(b.at("median")) + 1), y + 2, y + row_h - 2, 8, 48, 107);
    }
    return g;
}

std::vector<double> doubles(const json& a) {
    std::vector<double> v;
    if (a.is_array())
        for (const auto& x : a) v.push_back(num(x));
    return v;
}

double max_of(const std::vector<std::vector<double>>& rows) {
    double m = 0;
    for (const auto& r : rows)
        for (double v : r) m = std::max(m, v);
    return m;
}

// A layer name as a file name: letters, digits, '.', '_' and '-' kept.
std::string file_part(const std::string& s) {
    std::string o;
    for (char c : s) o += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '_';
    return o;
}

}  // namespace

std::vector<Figure> figures(const json& p) {
    std::vector<Figure> out;
    json index = json::array();
    const auto add = [&](const std::string& file, const Grid& g, const std::string& shows, double vmax) {
        out.push_back({file, encode_png(g)});
        index.push_back({{"file", file}, {"shows", shows}, {"width", g.width}, {"height", g.height},
                         {"brightest", vmax}});
    };
    // Firing rate per layer (rows, dataflow order) and time step (columns).
    std::vector<std::vector<double>> per_step;
    std::vector<std::vector<double>> hist;
    json names = json::array();
    for (const json& l : p.at("layers")) {
        if (!l.at("spiking").get<bool>()) continue;
        names.push_back(l.at("name"));
        per_step.push_back(doubles(l.at("firing_rate_per_step")));
        // Neurons per rate bin, as a fraction of the layer's neurons.
        std::vector<double> h = doubles(l.at("neuron_rate_histogram"));
        const double n = std::max(1.0, num(l.at("neurons")));
        for (double& x : h) x /= n;
        hist.push_back(h);
        const std::string base = file_part(l.at("name").get<std::string>());
        if (l.at("spatial_rate").is_array()) {
            std::vector<std::vector<double>> map;
            for (const json& row : l.at("spatial_rate")) map.push_back(doubles(row));
            const size_t cell = std::max<size_t>(4, 256 / std::max<size_t>(1, map.size()));
            add(base + "_map.png", heat(map, cell, max_of(map)),
                l.at("name").get<std::string>() + ": firing rate per pixel (H x W), summed over channels",
                max_of(map));
            const std::vector<std::vector<double>> strip{doubles(l.at("channel_rate"))};
            add(base + "_channels.png", heat(strip, 8, max_of(strip)),
                l.at("name").get<std::string>() + ": firing rate per channel (one 8 px cell each)", max_of(strip));
        }
    }
    add("rate_per_step.png", heat(per_step, 24, max_of(per_step)),
        "firing rate per spiking layer (rows, in the order of \"layers\") and time step (columns)", max_of(per_step));
    add("neuron_rate_histogram.png", heat(hist, 24, max_of(hist)),
        "fraction of each layer's neurons (rows) per rate bin (columns: 0-0.1 .. 0.9-1)", max_of(hist));
    // Spread over images of each spiking layer's rate.
    std::vector<const json*> spread;
    double spread_max = 0;
    for (const json& l : p.at("layers"))
        if (l.at("spiking").get<bool>() && l.at("per_image").is_object() && l.at("per_image").at("firing_rate").is_object()) {
            spread.push_back(&l.at("per_image").at("firing_rate"));
            spread_max = std::max(spread_max, num(l.at("per_image").at("firing_rate").at("max")));
        }
    if (!spread.empty())
        add("rate_spread.png", boxes(spread, 400, 24, spread_max),
            "per spiking layer (rows, as in rate_per_step.png): the per-image firing rate, whiskers min to max, "
            "box q1 to q3, dark line the median; x from 0 to \"brightest\" (the largest per-image rate)",
            spread_max);
    const std::vector<std::vector<double>> latent{doubles(p.at("latent").at("rate_per_latent"))};
    add("latent_rate.png", heat(latent, 8, max_of(latent)), "rate per latent (one 8 px cell each)", max_of(latent));
    static const uint8_t blue[3] = {49, 130, 189}, red[3] = {228, 87, 46};
    const std::vector<double> ch = doubles(p.at("latent").at("choice_counts"));
    add("choice_counts.png", bars(ch, 16, 96, blue), "sampler choices: draws of each r = 0..k-1 (16 px bars)",
        ch.empty() ? 0.0 : *std::max_element(ch.begin(), ch.end()));
    if (p.at("per_image").is_object()) {
        const std::vector<double> h = doubles(p.at("per_image").at("synaptic_ops_histogram").at("counts"));
        add("image_ops_histogram.png", bars(h, 16, 96, red),
            "images per bin of synaptic operations per image, from per_image.synaptic_ops_histogram min to max",
            h.empty() ? 0.0 : *std::max_element(h.begin(), h.end()));
    }
    const json doc = {{"format", "fsvae-profile-figures"}, {"rows_of_rate_per_step", names}, {"figures", index}};
    const std::string text = doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    out.push_back({"figures.json", std::vector<uint8_t>(text.begin(), text.end())});
    return out;
}

}  // namespace fsvae::profile
