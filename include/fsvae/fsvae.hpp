// fsvae.hpp: a header-only C++20 wrapper over the C API (fsvae.h) and
// nothing else: RAII handles, std::span buffers, and errors as exceptions or,
// with FSVAE_NO_EXCEPTIONS defined, as returned Status values.
//
// Every call that can fail returns a Status. With exceptions (the default) a
// failure throws fsvae::api::Error instead, so a returned Status is always ok
// (or END, from Session::step()); the same code therefore compiles in both
// modes. Constructors that load or create exist only with exceptions; the
// static load()/create() functions exist in both.
//
// The names live in fsvae::api, apart from the runtime's internal fsvae::
// classes, which a static link brings into the same program.
//
// Thread-safety and ownership are the C API's: a Model may be used by any
// number of threads and must outlive nothing (sessions keep it alive); a
// Session is used by one thread at a time. Needs C++20 (std::span).
#pragma once

#include <fsvae/fsvae.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#ifndef FSVAE_NO_EXCEPTIONS
#include <stdexcept>
#endif

namespace fsvae::api {

using ModelInfo = fsvae_model_info;
using LayerCounters = fsvae_layer_counters;

// The outcome of a call: the C status and, on failure, its message.
class Status {
public:
    Status() = default;
    Status(fsvae_status code, std::string message) : code_(code), message_(std::move(message)) {}

    fsvae_status code() const noexcept { return code_; }
    bool ok() const noexcept { return code_ == FSVAE_OK; }
    // Session::step() found every time step already run.
    bool end() const noexcept { return code_ == FSVAE_END; }
    explicit operator bool() const noexcept { return ok(); }
    // The one-line message of a failure ("" when ok or end).
    const std::string& message() const noexcept { return message_; }
    const char* name() const noexcept { return fsvae_status_string(code_); }

private:
    fsvae_status code_ = FSVAE_OK;
    std::string message_;
};

#ifndef FSVAE_NO_EXCEPTIONS
class Error : public std::runtime_error {
public:
    explicit Error(Status status)
        : std::runtime_error(status.message().empty() ? status.name() : status.message()),
          status_(std::move(status)) {}
    const Status& status() const noexcept { return status_; }
    fsvae_status code() const noexcept { return status_.code(); }

private:
    Status status_;
};
#endif

namespace detail {

// A C status as a Status; failures take the thread's message (every failing
// C call sets it) and throw when exceptions are on.
inline Status check(fsvae_status code) {
    if (code == FSVAE_OK || code == FSVAE_END) return Status(code, {});
    Status s(code, fsvae_last_error());
#ifndef FSVAE_NO_EXCEPTIONS
    throw Error(std::move(s));
#else
    return s;
#endif
}

}  // namespace detail

// A loaded model: immutable, shareable across threads. Move-only.
class Model {
public:
    Model() = default;
#ifndef FSVAE_NO_EXCEPTIONS
    explicit Model(const std::string& path) { (void)load(path, *this); }
    // No copy: `bytes` must stay alive and unchanged while the model or any
    // session on it exists.
    explicit Model(std::span<const std::byte> bytes) { (void)from_buffer(bytes, *this); }
#endif
    Model(Model&& o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
    Model& operator=(Model&& o) noexcept {
        if (this != &o) {
            fsvae_model_free(m_);
            m_ = std::exchange(o.m_, nullptr);
        }
        return *this;
    }
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;
    ~Model() { fsvae_model_free(m_); }

    // Loads into `out` (replacing what it held) on success.
    static Status load(const std::string& path, Model& out) {
        fsvae_model* m = nullptr;
        Status s = detail::check(fsvae_model_load_file(path.c_str(), &m));
        if (s) out = Model(m);
        return s;
    }
    // No copy: see the constructor. The buffer must be 8-byte aligned.
    static Status from_buffer(std::span<const std::byte> bytes, Model& out) {
        fsvae_model* m = nullptr;
        Status s = detail::check(fsvae_model_load_buffer(bytes.data(), bytes.size(), &m));
        if (s) out = Model(m);
        return s;
    }

    // Zeros (and, with exceptions, a throw) for an empty Model.
    ModelInfo info() const {
        ModelInfo i = FSVAE_MODEL_INFO_INIT;
        if (!detail::check(fsvae_model_get_info(m_, &i))) i = ModelInfo{};
        return i;
    }

    const fsvae_model* get() const noexcept { return m_; }
    explicit operator bool() const noexcept { return m_ != nullptr; }

private:
    explicit Model(fsvae_model* m) noexcept : m_(m) {}
    fsvae_model* m_ = nullptr;
};

struct SessionOptions {
    uint32_t threads = 0;  // batches: 0 every core, 1 the calling thread only
    uint64_t seed = 0;     // image i depends only on (seed, i)
};

struct Counters {
    uint64_t images = 0;
    uint64_t latent_spikes = 0;
    std::vector<LayerCounters> layers;  // in model order; names owned by the model
};

// One image's running state. One thread at a time. Move-only.
class Session {
public:
    Session() = default;
#ifndef FSVAE_NO_EXCEPTIONS
    explicit Session(const Model& model, const SessionOptions& options = {}) {
        (void)create(model, options, *this);
    }
#endif
    Session(Session&& o) noexcept
        : s_(std::exchange(o.s_, nullptr)), image_floats_(o.image_floats_) {}
    Session& operator=(Session&& o) noexcept {
        if (this != &o) {
            fsvae_session_free(s_);
            s_ = std::exchange(o.s_, nullptr);
            image_floats_ = o.image_floats_;
        }
        return *this;
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session() { fsvae_session_free(s_); }

    static Status create(const Model& model, const SessionOptions& options, Session& out) {
        fsvae_session_options o = FSVAE_SESSION_OPTIONS_INIT;
        o.threads = options.threads;
        o.seed = options.seed;
        fsvae_session* s = nullptr;
        Status st = detail::check(fsvae_session_create(model.get(), &o, &s));
        if (st) out = Session(s, model.info().image_floats);
        return st;
    }

    // C x H x W: floats per image.
    size_t image_floats() const noexcept { return image_floats_; }

    // Images first_index .. first_index + count - 1 into out (count x C x H x W).
    Status generate(uint64_t first_index, size_t count, std::span<float> out) {
        return detail::check(fsvae_generate(s_, first_index, count, out.data(), out.size()));
    }
    Status reconstruct(uint64_t first_index, size_t count, std::span<const float> images,
                       std::span<float> out) {
        return detail::check(fsvae_reconstruct(s_, first_index, count, images.data(),
                                               images.size(), out.data(), out.size()));
    }

    // Step by step: begin, then `while (session.step()) { read_image(...); }`.
    Status begin_generate(uint64_t index) { return detail::check(fsvae_begin_generate(s_, index)); }
    Status begin_reconstruct(uint64_t index, std::span<const float> image) {
        return detail::check(fsvae_begin_reconstruct(s_, index, image.data(), image.size()));
    }
    // ok: a step ran; end(): all T had run. Either way no throw.
    Status step() { return detail::check(fsvae_step(s_)); }
    uint32_t steps_done() const {
        uint32_t n = 0;
        if (!detail::check(fsvae_steps_done(s_, &n))) n = 0;
        return n;
    }
    // Not const: the image is formed in the session's buffers.
    Status read_image(std::span<float> out) {
        return detail::check(fsvae_read_image(s_, out.data(), out.size()));
    }

    Status counters(Counters& out) {
        fsvae_counters t{};
        Status s = detail::check(fsvae_read_counters(s_, &t, nullptr, 0));
        if (!s) return s;
        out.layers.assign(t.layer_count, LayerCounters{});
        s = detail::check(fsvae_read_counters(s_, &t, out.layers.data(), out.layers.size()));
        out.images = t.images;
        out.latent_spikes = t.latent_spikes;
        return s;
    }
    Status clear_counters() { return detail::check(fsvae_clear_counters(s_)); }

    // The message of this session's last failed call ("" if none).
    const char* last_error() const noexcept { return fsvae_session_last_error(s_); }

#ifndef FSVAE_NO_EXCEPTIONS
    // Conveniences that allocate their result; failures throw.
    std::vector<float> generate(uint64_t first_index, size_t count) {
        std::vector<float> out(count * image_floats_);
        (void)generate(first_index, count, out);
        return out;
    }
    std::vector<float> read_image() {
        std::vector<float> out(image_floats_);
        (void)read_image(std::span<float>(out));
        return out;
    }
    Counters counters() {
        Counters c;
        (void)counters(c);
        return c;
    }
#endif

    fsvae_session* get() const noexcept { return s_; }
    explicit operator bool() const noexcept { return s_ != nullptr; }

private:
    Session(fsvae_session* s, size_t image_floats) noexcept : s_(s), image_floats_(image_floats) {}
    fsvae_session* s_ = nullptr;
    size_t image_floats_ = 0;
};

}  // namespace fsvae::api
