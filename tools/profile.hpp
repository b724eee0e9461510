// profile.hpp: turning the runtime's counters into the profile a researcher
// reads: a JSON document (per layer, per step, totals, latent rate, energy
// estimates) and a self-contained HTML page with a firing-rate heat map and an
// operations chart.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "../runtime/counters.hpp"
#include "../runtime/engine.hpp"

namespace fsvae::profile {

// Energy per operation, in picojoules.
struct EnergyTable {
    const char* name;
    const char* source;
    double mac_pj;  // multiply-accumulate (multiply + add)
    double add_pj;  // accumulate only: what a binary spike needs
};

// 45 nm figures from M. Horowitz, "Computing's energy problem (and what we can
// do about it)", ISSCC 2014: FP32 mult 3.7 + add 0.9; FP16 mult 1.1 + add 0.4;
// INT8 mult 0.2 + add 0.03 (pJ).
const EnergyTable kEnergyTables[] = {
    {"fp32-45nm", "Horowitz, ISSCC 2014 (45 nm)", 4.6, 0.9},
    {"fp16-45nm", "Horowitz, ISSCC 2014 (45 nm)", 1.5, 0.4},
    {"int8-45nm", "Horowitz, ISSCC 2014 (45 nm)", 0.23, 0.03},
};

struct RunInfo {
    Mode mode = Mode::Generate;
    uint64_t seed = 0;
    uint64_t first_index = 0;  // sampler index of the first image
    int threads = 0;
    std::string input;         // reconstruction input file
    uint64_t offset = 0;       // images of the input skipped (reconstruction)
    std::string energy_table = "fp32-45nm";
};

// Text for the JSON (and so the report): paths and a model's strings may hold
// any bytes, JSON only UTF-8. Valid UTF-8 is kept; each byte that is not part
// of a valid sequence becomes the four characters \xNN.
std::string json_text(const std::string& bytes);

nlohmann::ordered_json to_json(const Engine& engine, const Counters& counters, const RunInfo& run);

// The HTML report of a profile produced by to_json.
std::string html_report(const nlohmann::ordered_json& profile);

// A profile file read back for a comparison: JSON, an fsvae-profile of
// format_version 2 with the fields a comparison reads. Throws fsvae::Error
// naming the file.
nlohmann::ordered_json read_profile(const std::string& path);

// Two profiles side by side (profile_compare.cpp): per layer, B's firing
// rate and synaptic operations per image against A's, and the dead-neuron
// sets that differ (where both runs have the layer's neurons).
nlohmann::ordered_json compare(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b,
                               const std::string& file_a, const std::string& file_b);
std::string html_compare(const nlohmann::ordered_json& diff);

// The report's pictures as PNG files, and figures.json describing them
// (profile_figures.cpp).
struct Figure {
    std::string file;
    std::vector<uint8_t> bytes;
};
std::vector<Figure> figures(const nlohmann::ordered_json& profile);

}  // namespace fsvae::profile
