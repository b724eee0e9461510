// fuzz_entries.hpp: what each fuzz target does with one input. The libFuzzer
// drivers (clang builds only) and the regression replay in the test suite
// (any compiler) call the same functions, so an input that once broke the
// runtime is fed through the same path in every CI run.
//
// Each function returns "" when the runtime took the input or refused it with
// a well-formed fsvae::Error (one line, naming the input first), and a
// description of the broken promise otherwise. Any other exception escapes,
// and memory errors are the sanitizers' to report: both are findings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fsvae::fuzz {

// The bytes as a model file: Model::from_buffer (FlatBuffer verification and
// every semantic check) and, if it loads, two generation and two
// reconstruction steps.
std::string model_bytes(const uint8_t* data, size_t size);

// Edits to a small valid model, so that fuzzing reaches the checks past the
// FlatBuffer verifier and a model that loads: the input is a list of
// (u32 little-endian offset, u8 length, length bytes) records written over the
// model's bytes (offsets wrap around), then loaded as model_bytes does.
std::string model_edits(const uint8_t* data, size_t size);

// The valid model model_edits starts from.
const std::vector<uint8_t>& edit_base_model();

enum class ImageFormat { Idx, Png, Npy };
const char* format_name(ImageFormat f);

// The bytes as an image file, through read_images_from_memory, for a one-
// channel 32x32 model (the first 8 images) and a three-channel 64x64 one (the
// first two). Inputs whose first bytes name another format are skipped, so each
// target spends its time on its own reader.
std::string image_bytes(ImageFormat format, const uint8_t* data, size_t size);

}  // namespace fsvae::fuzz
