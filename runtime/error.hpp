// error.hpp: the one exception type of the runtime. Its message is a single
// line meant for the user, naming the file (or buffer) and the problem.
#pragma once

#include <stdexcept>
#include <string>

namespace fsvae {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace fsvae
