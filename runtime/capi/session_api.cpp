// session_api.cpp: sessions: creation, batches (serial on the session's own
// workspace, or oneTBB through generate_batch / reconstruct_batch), and the
// step-by-step run.
#include <cstdio>
#include <limits>

#include "handles.hpp"

using fsvae::capi::fail;
using fsvae::capi::guarded;

namespace {

// Bad-argument failure named after the calling function. Runs outside
// guarded(), so it must not throw: without memory, the bare reason will do.
fsvae_status invalid(fsvae_session* s, const char* fn, const char* what) noexcept {
    try {
        return fail(s, FSVAE_ERROR_INVALID_ARGUMENT, (std::string(fn) + ": " + what).c_str());
    } catch (...) {
        return fail(s, FSVAE_ERROR_INVALID_ARGUMENT, what);
    }
}

size_t image_floats(const fsvae_session* s) { return s->engine->model().info().image_size(); }

fsvae::ChoiceSource choices(const fsvae_session* s, uint64_t index) {
    const fsvae::ModelInfo& I = s->engine->model().info();
    return fsvae::ChoiceSource(s->seed, index, I.k, I.latent_dim);
}

// Checks a batch's sizes: count images of image_floats each must fit in
// `floats`, and the index range must not wrap.
const char* batch_size_error(const fsvae_session* s, uint64_t first, size_t count, size_t floats) {
    const size_t S = image_floats(s);
    if (count > std::numeric_limits<size_t>::max() / S) return "count x image size overflows";
    if (floats < count * S) return "buffer holds fewer floats than count x C x H x W";
    if (count > 0 && first > std::numeric_limits<uint64_t>::max() - (count - 1))
        return "first_index + count overflows";
    return nullptr;
}

// Checks that every value of n floats is within [-1, 1] (NaN is not), the
// range the runtime's overflow bound assumes (model.cpp). On failure writes
// a message naming the first that is not into msg (no allocation: this runs
// outside guarded()) and returns false.
bool pixels_in_range(const float* images, size_t n, char (&msg)[96]) noexcept {
    for (size_t i = 0; i < n; ++i)
        if (!(images[i] >= -1.0f && images[i] <= 1.0f)) {
            std::snprintf(msg, sizeof msg, "value %zu is %g; images must be within [-1, 1]", i,
                          double(images[i]));
            return false;
        }
    return true;
}

fsvae::BatchOptions batch_options(const fsvae_session* s, uint64_t first, size_t count) {
    fsvae::BatchOptions o;
    o.seed = s->seed;
    o.first_index = first;
    o.count = count;
    o.threads = int(s->threads);
    return o;
}

}  // namespace

extern "C" {

fsvae_status fsvae_session_create(const fsvae_model* model, const fsvae_session_options* options,
                                  fsvae_session** out) {
    if (!out) return invalid(nullptr, "fsvae_session_create", "out is NULL");
    *out = nullptr;
    if (!model) return invalid(nullptr, "fsvae_session_create", "model is NULL");
    const fsvae_session_options defaults = FSVAE_SESSION_OPTIONS_INIT;
    if (!options) options = &defaults;
    // Only the fields of the first version are read (fsvae.h, "Versioned structs").
    if (options->struct_size < fsvae::capi::kOptionsV1Size)
        return invalid(nullptr, "fsvae_session_create",
                       "options->struct_size is below the size of fsvae_session_options 0.1 "
                       "(set it to sizeof(fsvae_session_options))");
    if (options->threads > uint32_t(std::numeric_limits<int>::max()))
        return invalid(nullptr, "fsvae_session_create", "threads is out of range");
    return guarded(nullptr, FSVAE_ERROR_INTERNAL, [&] {
        auto s = std::make_unique<fsvae_session>(model->engine);
        const fsvae::Model& m = model->engine->model();
        s->batch.resize(m.layers().size(), m.info().time_steps);
        s->seed = options->seed;
        s->threads = options->threads;
        *out = s.release();
        return FSVAE_OK;
    });
}

void fsvae_session_free(fsvae_session* session) { delete session; }

fsvae_status fsvae_generate(fsvae_session* s, uint64_t first, size_t count, float* out,
                            size_t out_floats) {
    if (!s) return invalid(nullptr, "fsvae_generate", "session is NULL");
    if (count == 0) return FSVAE_OK;
    if (!out) return invalid(s, "fsvae_generate", "out is NULL");
    if (const char* e = batch_size_error(s, first, count, out_floats)) return invalid(s, "fsvae_generate", e);
    return guarded(s, FSVAE_ERROR_INTERNAL, [&] {
        s->begun = false;
        const size_t S = image_floats(s);
        if (s->threads == 1) {
            // The calling thread only: no task arena, and the session's own
            // workspace (allocated once, at creation).
            for (size_t i = 0; i < count; ++i) s->ws.generate(choices(s, first + i), out + i * S);
        } else {
            fsvae::Counters c;
            fsvae::generate_batch(*s->engine, batch_options(s, first, count), out, nullptr, &c);
            s->batch.merge(c);
        }
        return FSVAE_OK;
    });
}

fsvae_status fsvae_reconstruct(fsvae_session* s, uint64_t first, size_t count, const float* images,
                               size_t images_floats, float* out, size_t out_floats) {
    if (!s) return invalid(nullptr, "fsvae_reconstruct", "session is NULL");
    if (count == 0) return FSVAE_OK;
    if (!images || !out) return invalid(s, "fsvae_reconstruct", "images or out is NULL");
    if (const char* e = batch_size_error(s, first, count, images_floats))
        return invalid(s, "fsvae_reconstruct", e);
    if (const char* e = batch_size_error(s, first, count, out_floats))
        return invalid(s, "fsvae_reconstruct", e);
    if (char e[96]; !pixels_in_range(images, count * image_floats(s), e))
        return invalid(s, "fsvae_reconstruct", e);
    return guarded(s, FSVAE_ERROR_INTERNAL, [&] {
        s->begun = false;
        const size_t S = image_floats(s);
        if (s->threads == 1) {
            for (size_t i = 0; i < count; ++i)
                s->ws.reconstruct(images + i * S, choices(s, first + i), out + i * S);
        } else {
            fsvae::Counters c;
            fsvae::reconstruct_batch(*s->engine, batch_options(s, first, count), images, out,
                                     nullptr, &c);
            s->batch.merge(c);
        }
        return FSVAE_OK;
    });
}

fsvae_status fsvae_begin_generate(fsvae_session* s, uint64_t index) {
    if (!s) return invalid(nullptr, "fsvae_begin_generate", "session is NULL");
    return guarded(s, FSVAE_ERROR_INTERNAL, [&] {
        s->ws.begin(fsvae::Mode::Generate, choices(s, index));
        s->begun = true;
        return FSVAE_OK;
    });
}

fsvae_status fsvae_begin_reconstruct(fsvae_session* s, uint64_t index, const float* image,
                                     size_t image_floats_given) {
    if (!s) return invalid(nullptr, "fsvae_begin_reconstruct", "session is NULL");
    if (!image) return invalid(s, "fsvae_begin_reconstruct", "image is NULL");
    if (image_floats_given < image_floats(s))
        return invalid(s, "fsvae_begin_reconstruct", "image holds fewer floats than C x H x W");
    if (char e[96]; !pixels_in_range(image, image_floats(s), e))
        return invalid(s, "fsvae_begin_reconstruct", e);
    return guarded(s, FSVAE_ERROR_INTERNAL, [&] {
        s->ws.begin(fsvae::Mode::Reconstruct, choices(s, index), image);
        s->begun = true;
        return FSVAE_OK;
    });
}

fsvae_status fsvae_step(fsvae_session* s) {
    if (!s) return invalid(nullptr, "fsvae_step", "session is NULL");
    if (!s->begun)
        return fail(s, FSVAE_ERROR_BAD_STATE, "fsvae_step: no fsvae_begin_generate or "
                                              "fsvae_begin_reconstruct since the session's last batch");
    return guarded(s, FSVAE_ERROR_INTERNAL, [&] { return s->ws.step() ? FSVAE_OK : FSVAE_END; });
}

fsvae_status fsvae_steps_done(const fsvae_session* s, uint32_t* out) {
    if (!s || !out) return invalid(nullptr, "fsvae_steps_done", "session or out is NULL");
    *out = s->begun ? s->ws.steps_done() : 0;
    return FSVAE_OK;
}

fsvae_status fsvae_read_image(fsvae_session* s, float* out, size_t out_floats) {
    if (!s) return invalid(nullptr, "fsvae_read_image", "session is NULL");
    if (!out) return invalid(s, "fsvae_read_image", "out is NULL");
    if (out_floats < image_floats(s))
        return invalid(s, "fsvae_read_image", "out holds fewer floats than C x H x W");
    if (!s->begun)
        return fail(s, FSVAE_ERROR_BAD_STATE, "fsvae_read_image: no fsvae_begin_generate or "
                                              "fsvae_begin_reconstruct since the session's last batch");
    s->ws.read_image(out);
    return FSVAE_OK;
}

}  // extern "C"
