// error.hpp: the one exception type of the runtime. Its message is a single
// line meant for the user, naming the file (or buffer) and the problem.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

namespace fsvae {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Text taken from a file, safe to put in a one-line message: anything but
// printable ASCII (a NUL would cut the line short, an escape would reach the
// terminal) as \xNN, and at most max_chars characters.
inline std::string printable(const std::string& s, size_t max_chars) {
    std::string out;
    for (size_t i = 0; i < s.size() && i < max_chars; ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += char(c);
        } else {
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    if (s.size() > max_chars) out += "...";
    return out;
}

}  // namespace fsvae
