// model_api.cpp: loading a model (file or caller-owned buffer), its info and
// its release.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <system_error>

#include "handles.hpp"

using fsvae::capi::fail;
using fsvae::capi::guarded;

namespace {

fsvae_status wrap(std::shared_ptr<const fsvae::Model> model, fsvae_model** out) {
    auto engine = std::make_shared<const fsvae::Engine>(std::move(model));
    *out = new fsvae_model{std::move(engine)};
    return FSVAE_OK;
}

}  // namespace

extern "C" {

fsvae_status fsvae_model_load_file(const char* path, fsvae_model** out) {
    if (!out) return fail(nullptr, FSVAE_ERROR_INVALID_ARGUMENT, "fsvae_model_load_file: out is NULL");
    *out = nullptr;
    if (!path) return fail(nullptr, FSVAE_ERROR_INVALID_ARGUMENT, "fsvae_model_load_file: path is NULL");
    return guarded(nullptr, FSVAE_ERROR_INVALID_MODEL, [&] {
        // Opened here first so that a file that cannot be read is told apart
        // (FSVAE_ERROR_IO) from one that is not a model.
        if (std::FILE* f = std::fopen(path, "rb")) {
            std::fclose(f);
        } else {
            const std::string why = std::generic_category().message(errno);
            return fail(nullptr, FSVAE_ERROR_IO,
                        (std::string(path) + ": cannot open model file (" + why + ")").c_str());
        }
        return wrap(fsvae::Model::load_file(path), out);
    });
}

fsvae_status fsvae_model_load_buffer(const void* data, size_t size, fsvae_model** out) {
    if (!out) return fail(nullptr, FSVAE_ERROR_INVALID_ARGUMENT, "fsvae_model_load_buffer: out is NULL");
    *out = nullptr;
    if (!data) return fail(nullptr, FSVAE_ERROR_INVALID_ARGUMENT, "fsvae_model_load_buffer: data is NULL");
    // Weights are read in place as floats; the FlatBuffers verifier rejects
    // misaligned scalars anyway, this says why in plain words.
    if (reinterpret_cast<std::uintptr_t>(data) % 8 != 0)
        return fail(nullptr, FSVAE_ERROR_INVALID_ARGUMENT,
                    "fsvae_model_load_buffer: data is not aligned to 8 bytes");
    return guarded(nullptr, FSVAE_ERROR_INVALID_MODEL,
                   [&] { return wrap(fsvae::Model::from_buffer(data, size, "model buffer"), out); });
}

void fsvae_model_free(fsvae_model* model) { delete model; }

fsvae_status fsvae_model_get_info(const fsvae_model* model, fsvae_model_info* out) {
    if (!model || !out)
        return fail(nullptr, FSVAE_ERROR_INVALID_ARGUMENT, "fsvae_model_get_info: model or out is NULL");
    // Only the fields of the first version are written (fsvae.h, "Versioned structs").
    if (out->struct_size < fsvae::capi::kModelInfoV1Size)
        return fail(nullptr, FSVAE_ERROR_INVALID_ARGUMENT,
                    "fsvae_model_get_info: out->struct_size is below the size of fsvae_model_info 0.1 "
                    "(set it to sizeof(fsvae_model_info))");
    const fsvae::Model& m = model->engine->model();
    const fsvae::ModelInfo& I = m.info();
    out->time_steps = I.time_steps;
    out->k = I.k;
    out->latent_dim = I.latent_dim;
    out->channels = I.image_channels;
    out->height = I.image_height;
    out->width = I.image_width;
    out->layer_count = uint32_t(m.layers().size());
    out->image_floats = I.image_size();
    out->model_bytes = m.byte_size();
    out->variant = fsvae::variant_name(I.variant);
    out->dataset = I.dataset.c_str();
    out->isa = model->engine->kernels().isa;
    return FSVAE_OK;
}

}  // extern "C"
