// golden.cpp: golden-vector loading and the spike-count comparison rule.
//
// Rule: counts must be identical, except downstream of a membrane lying within
// float rounding of Vth. The first (step, layer) cell in dataflow order whose
// count differs must be one where the reference saw a membrane within eps of
// Vth; once the trains part there, later cells may differ too, and the sum of
// all differences is bounded by the caller.
#include "golden.hpp"

#include <fstream>
#include <stdexcept>

namespace fsvae::test {

Golden load_golden(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    const nlohmann::json j = nlohmann::json::parse(in);
    Golden g;
    g.mode = j.at("mode").get<std::string>();
    if (j.contains("choice_source")) g.choice_source = j.at("choice_source").get<std::string>();
    g.T = j.at("T").get<uint32_t>();
    g.k = j.at("k").get<uint32_t>();
    g.C = j.at("latent_dim").get<uint32_t>();
    g.layers = j.at("layers").get<std::vector<std::string>>();
    for (const auto& ji : j.at("images")) {
        GoldenImage im;
        if (ji.contains("seed")) im.seed = ji.at("seed").get<uint64_t>();
        if (ji.contains("index")) im.index = ji.at("index").get<uint64_t>();
        if (ji.contains("input")) im.input = ji.at("input").get<std::vector<float>>();
        for (const auto& row : ji.at("choices"))
            for (const auto& v : row) im.choices.push_back(v.get<uint16_t>());
        for (const auto& row : ji.at("z"))
            for (const auto& v : row) im.z.push_back(v.get<uint8_t>());
        for (const auto& name : g.layers) {
            im.spikes.push_back(ji.at("spike_counts").at(name).get<std::vector<uint32_t>>());
            im.near.push_back(ji.at("near_threshold").at(name).get<std::vector<uint32_t>>());
        }
        im.image = ji.at("image").get<std::vector<float>>();
        g.images.push_back(std::move(im));
    }
    return g;
}

SpikeComparison compare_spikes(const Model& model, const Golden& g, const GoldenImage& img,
                               const ImageTrace& trace) {
    std::vector<size_t> index;
    for (const auto& name : g.layers) {
        size_t found = SIZE_MAX;
        for (size_t i = 0; i < model.layers().size(); ++i)
            if (model.layer(i).spec.name == name) found = i;
        if (found == SIZE_MAX) throw std::runtime_error("golden layer " + name + " not in model");
        index.push_back(found);
    }
    SpikeComparison c;
    for (uint32_t t = 0; t < g.T; ++t) {
        for (size_t l = 0; l < g.layers.size(); ++l) {
            const uint32_t ref = img.spikes[l][t];
            const uint32_t got = trace.spikes[index[l] * g.T + t];
            c.total_spikes += ref;
            if (ref == got) continue;
            if (c.mismatched_cells == 0) {
                c.first_mismatch_near_threshold = img.near[l][t] > 0;
                c.first_mismatch = g.layers[l] + " step " + std::to_string(t) + ": runtime " +
                                   std::to_string(got) + ", reference " + std::to_string(ref) +
                                   ", membranes near Vth " + std::to_string(img.near[l][t]);
            }
            ++c.mismatched_cells;
            c.spike_difference += ref > got ? ref - got : got - ref;
        }
    }
    return c;
}

}  // namespace fsvae::test
