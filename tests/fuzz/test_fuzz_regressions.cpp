// Fuzz regressions: every seed and every input that once broke the runtime
// (tests/fuzz/corpus/<target>/, tests/fuzz/regressions/<target>/) goes through
// the same entry point as the fuzz target, in the ordinary build, so a fixed
// crash stays fixed without clang or libFuzzer.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <functional>

#include "../support.hpp"
#include "fuzz_entries.hpp"

using namespace fsvae;
using namespace fsvae::test;

namespace {

using Entry = std::function<std::string(const uint8_t*, size_t)>;

// Feeds every file of the target's corpus and regression folders; returns
// how many there were.
size_t replay(const std::string& target, const Entry& entry) {
    size_t n = 0;
    for (const char* kind : {"corpus", "regressions"}) {
        const std::string dir = source_path("tests/fuzz/" + std::string(kind) + "/" + target);
        if (!std::filesystem::is_directory(dir)) continue;
        std::vector<std::string> files;
        for (const auto& e : std::filesystem::directory_iterator(dir))
            if (e.is_regular_file()) files.push_back(e.path().string());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            const auto bytes = read_bytes(f);
            INFO(f);
            CHECK(entry(bytes.data(), bytes.size()) == "");
            ++n;
        }
    }
    return n;
}

}  // namespace

TEST_CASE("fuzz regressions: model files") {
    CHECK(replay("model", fuzz::model_bytes) > 0);
}

TEST_CASE("fuzz regressions: edits to a valid model") {
    // The edits start from a model that loads and runs.
    const auto& base = fuzz::edit_base_model();
    CHECK(fuzz::model_bytes(base.data(), base.size()) == "");
    CHECK(replay("model_edits", fuzz::model_edits) > 0);
}

TEST_CASE("fuzz regressions: image files") {
    for (auto f : {fuzz::ImageFormat::Idx, fuzz::ImageFormat::Png, fuzz::ImageFormat::Npy}) {
        INFO(fuzz::format_name(f));
        CHECK(replay(fuzz::format_name(f), [f](const uint8_t* d, size_t n) {
                  return fuzz::image_bytes(f, d, n);
              }) > 0);
    }
}
