// html_text.hpp: text for the profile's HTML pages (profile_report.cpp,
// profile_compare.cpp): escaping and number formats.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <string>

namespace fsvae::profile::html {

// Text safe inside an element or an attribute value.
inline std::string esc(const std::string& s) {
    std::string o;
    for (char ch : s) {
        switch (ch) {
            case '<': o += "&lt;"; break;
            case '>': o += "&gt;"; break;
            case '&': o += "&amp;"; break;
            case '"': o += "&quot;"; break;
            case '\'': o += "&#39;"; break;
            default: o += ch;
        }
    }
    return o;
}

// printf of one number.
inline std::string fmt(const char* f, double v) {
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

// 3 significant digits with a k/M/G/T suffix: "23.5M"; with `sign`, "+1.26k".
inline std::string si(double v, bool sign = false) {
    const char* unit[] = {"", "k", "M", "G", "T"};
    std::string out = v < 0 ? "-" : sign ? "+" : "";
    v = std::abs(v);
    int u = 0;
    while (v >= 1000 && u < 4) {
        v /= 1000;
        ++u;
    }
    out += fmt(v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
    out += unit[u];
    return out;
}

// A JSON number, or 0 for null (a field the run has not got).
inline double num(const nlohmann::ordered_json& v) { return v.is_number() ? v.get<double>() : 0.0; }

}  // namespace fsvae::profile::html
