// fsvae_module.cpp: the compiled half of the `fsvae` Python package
// (fsvae._fsvae). Images go through the public C API (include/fsvae/fsvae.h),
// so they are the bytes the command line and every embedder get. What the C
// API does not offer yet (the latent trains of a batch, the raw counters the profile is computed from) uses the runtime the C API
// wraps, through the model handle (runtime/capi/handles.hpp); decoding given
// latent trains is fsvae_decode().
//
// Every long call releases the GIL and runs in chunks; between chunks it
// takes the GIL back to check for a pending signal, so Ctrl-C interrupts a
// large batch within one chunk's time. Argument checks that Python can make
// clearly (dtype, shape, range) are made in fsvae/_model.py before any of
// this runs; the checks here guard the C boundary.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fsvae/fsvae.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../../runtime/capi/handles.hpp"
#include "../../runtime/counters.hpp"
#include "../../runtime/engine.hpp"
#include "../../tools/profile.hpp"

namespace py = pybind11;

namespace {

// The Python exception class for each fsvae_status, set by fsvae/_errors.py.
py::dict& error_classes() {
    static py::dict* d = new py::dict();  // never destroyed: outlives the interpreter's teardown
    return *d;
}

struct StatusError {
    fsvae_status status;
    std::string message;
};

[[noreturn]] void raise(fsvae_status st, const std::string& message) {
    throw StatusError{st, message};
}

void check(fsvae_status st, fsvae_session* s = nullptr) {
    if (st == FSVAE_OK || st == FSVAE_END) return;
    raise(st, s ? fsvae_session_last_error(s) : fsvae_last_error());
}

// Runs body() (which must not touch Python objects) with the GIL released,
// mapping the runtime's exceptions like the C API does.
template <class Body>
void without_gil(Body&& body) {
    fsvae_status st = FSVAE_OK;
    std::string msg;
    {
        py::gil_scoped_release release;
        st = fsvae::capi::guarded(nullptr, FSVAE_ERROR_INVALID_ARGUMENT, [&]() -> fsvae_status {
            body();
            return FSVAE_OK;
        });
        if (st != FSVAE_OK) msg = fsvae_last_error();
    }
    if (st != FSVAE_OK) raise(st, msg);
}

void check_signals() {
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

struct SessionPtr {
    fsvae_session* p = nullptr;
    SessionPtr() = default;
    SessionPtr(const SessionPtr&) = delete;
    SessionPtr& operator=(const SessionPtr&) = delete;
    ~SessionPtr() { fsvae_session_free(p); }
};

// Images per chunk between signal checks: about a tenth of a second's work,
// from the time one chunk took. Never below one image.
struct Chunker {
    size_t next = 1;
    void update(size_t done, double seconds) {
        const double per = seconds / double(std::max<size_t>(done, 1));
        next = per > 0 ? std::clamp<size_t>(size_t(0.1 / per), 1, 4096) : 4096;
    }
};

double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs body(done, n) over images [0, count) in chunks of about 0.1 s
// (Chunker), each with the GIL released, then check(status, session) on
// what the body returned (a C API call's status, or FSVAE_OK). Ctrl-C is
// seen between chunks.
template <class Body>
void in_chunks(size_t count, fsvae_session* session, Body&& body) {
    Chunker chunk;
    for (size_t done = 0; done < count;) {
        const size_t n = std::min(chunk.next, count - done);
        const auto t0 = std::chrono::steady_clock::now();
        fsvae_status st = FSVAE_OK;
        without_gil([&] { st = body(done, n); });
        check(st, session);
        done += n;
        chunk.update(n, since(t0));
        check_signals();
    }
}

class Model {
public:
    explicit Model(const std::string& path) {
        check(fsvae_model_load_file(path.c_str(), &m_));
        fsvae_model_info info = FSVAE_MODEL_INFO_INIT;
        check(fsvae_model_get_info(m_, &info));
        info_ = info;
    }
    ~Model() { fsvae_model_free(m_); }
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    py::dict info() const {
        py::dict d;
        const fsvae::ModelInfo& I = engine().model().info();
        d["variant"] = info_.variant;
        d["dataset"] = info_.dataset;
        d["time_steps"] = info_.time_steps;
        d["k"] = info_.k;
        d["latent_dim"] = info_.latent_dim;
        d["channels"] = info_.channels;
        d["height"] = info_.height;
        d["width"] = info_.width;
        d["layer_count"] = info_.layer_count;
        d["image_floats"] = info_.image_floats;
        d["model_bytes"] = info_.model_bytes;
        d["isa"] = info_.isa;
        d["file"] = engine().model().origin();
        d["source"] = I.source;
        return d;
    }

    size_t image_floats() const { return info_.image_floats; }
    const fsvae_model_info& raw_info() const { return info_; }

    py::array_t<float> new_images(size_t n) const {
        return py::array_t<float>({py::ssize_t(n), py::ssize_t(info_.channels),
                                   py::ssize_t(info_.height), py::ssize_t(info_.width)});
    }

    fsvae_session* session(SessionPtr& s, uint64_t seed, uint32_t threads) const {
        fsvae_session_options o = FSVAE_SESSION_OPTIONS_INIT;
        o.seed = seed;
        o.threads = threads;
        check(fsvae_session_create(m_, &o, &s.p));
        return s.p;
    }

    // Images first_index .. first_index + count - 1 through fsvae_generate(),
    // in chunks.
    py::array_t<float> generate(size_t count, uint64_t seed, uint64_t first_index, uint32_t threads) const {
        py::array_t<float> out = new_images(count);
        float* dst = out.mutable_data();
        SessionPtr s;
        session(s, seed, threads);
        in_chunks(count, s.p, [&](size_t done, size_t n) {
            return fsvae_generate(s.p, first_index + done, n, dst + done * image_floats(),
                                  n * image_floats());
        });
        return out;
    }

    py::array_t<float> reconstruct(py::array_t<float, py::array::c_style> images, uint64_t seed,
                                   uint64_t first_index, uint32_t threads) const {
        const size_t count = size_t(images.shape(0));
        py::array_t<float> out = new_images(count);
        const float* src = images.data();
        float* dst = out.mutable_data();
        SessionPtr s;
        session(s, seed, threads);
        in_chunks(count, s.p, [&](size_t done, size_t n) {
            return fsvae_reconstruct(s.p, first_index + done, n, src + done * image_floats(),
                                     n * image_floats(), dst + done * image_floats(),
                                     n * image_floats());
        });
        return out;
    }

    // Images from given latent trains (N x T x latent_dim, 0/1) through
    // fsvae_decode().
    py::array_t<float> decode(py::array_t<uint8_t, py::array::c_style> z, uint32_t threads) const {
        const size_t count = size_t(z.shape(0));
        const size_t zn = size_t(z.shape(1)) * size_t(z.shape(2));
        py::array_t<float> out = new_images(count);
        const uint8_t* src = z.data();
        float* dst = out.mutable_data();
        SessionPtr s;
        session(s, 0, threads);
        in_chunks(count, s.p, [&](size_t done, size_t n) {
            return fsvae_decode(s.p, n, src + done * zn, n * zn, dst + done * image_floats(),
                                n * image_floats());
        });
        return out;
    }

    // Like generate / reconstruct (images empty: generate), with each image's
    // latent train z (N x T x latent_dim, 0/1) too. Runs the batch functions
    // the C API's threaded calls run, so the images are the same bytes.
    // The options of one chunk of a batch: images first_index .. + n.
    static fsvae::BatchOptions chunk_options(uint64_t seed, uint64_t first_index, size_t n, int threads) {
        fsvae::BatchOptions o;
        o.seed = seed;
        o.first_index = first_index;
        o.count = n;
        o.threads = threads;
        return o;
    }

    py::tuple with_latents(size_t count, uint64_t seed, uint64_t first_index, int threads,
                           std::optional<py::array_t<float, py::array::c_style>> images) const {
        const fsvae::ModelInfo& I = engine().model().info();
        py::array_t<float> out = new_images(count);
        py::array_t<uint8_t> z({py::ssize_t(count), py::ssize_t(I.time_steps), py::ssize_t(I.latent_dim)});
        const size_t zn = size_t(I.time_steps) * I.latent_dim;
        const float* src = images ? images->data() : nullptr;
        float* dst = out.mutable_data();
        uint8_t* zdst = z.mutable_data();
        in_chunks(count, nullptr, [&](size_t done, size_t n) {
            fsvae::BatchOptions o = chunk_options(seed, first_index + done, n, threads);
            std::vector<fsvae::ImageTrace> traces;
            if (src)
                fsvae::reconstruct_batch(engine(), o, src + done * image_floats(),
                                         dst + done * image_floats(), &traces);
            else
                fsvae::generate_batch(engine(), o, dst + done * image_floats(), &traces);
            for (size_t i = 0; i < n; ++i)
                std::memcpy(zdst + (done + i) * zn, traces[i].z.data(), zn);
            return FSVAE_OK;
        });
        return py::make_tuple(out, z);
    }

    // The raw counters of a profiled run (timed, as `fsvae profile` runs it),
    // for profile_json(); images empty: generation.
    py::dict profile_counters(size_t count, uint64_t seed, uint64_t first_index, int threads,
                              std::optional<py::array_t<float, py::array::c_style>> images) const {
        fsvae::Counters total;
        total.resize(engine().model());
        std::vector<float> out;
        const float* src = images ? images->data() : nullptr;
        in_chunks(count, nullptr, [&](size_t done, size_t n) {
            fsvae::BatchOptions o = chunk_options(seed, first_index + done, n, threads);
            o.timing = true;
            o.image_figures = true;  // the spread over images, as `fsvae profile`
            o.neuron_counts = true;
            out.resize(n * image_floats());
            fsvae::Counters c;
            if (src)
                fsvae::reconstruct_batch(engine(), o, src + done * image_floats(), out.data(),
                                         nullptr, &c);
            else
                fsvae::generate_batch(engine(), o, out.data(), nullptr, &c);
            total.merge(c);
            return FSVAE_OK;
        });
        return counters_to_dict(total);
    }

    static py::dict counters_to_dict(const fsvae::Counters& c) {
        py::dict d;
        d["images"] = c.images;
        d["latent_spikes"] = c.latent_spikes;
        py::list layers;
        for (const fsvae::LayerCounters& L : c.layers) {
            py::dict l;
            l["spikes"] = L.spikes;
            l["events"] = L.events;
            l["synaptic_ops"] = L.synaptic_ops;
            l["dense_macs"] = L.dense_macs;
            l["steps"] = L.steps;
            l["seconds"] = L.seconds;
            l["spikes_per_step"] = L.spikes_per_step;
            l["neuron_spikes"] = L.neuron_spikes;
            layers.append(l);
        }
        d["layers"] = layers;
        d["latent_ones"] = c.latent_ones;
        d["choices"] = c.choices;
        d["image_spikes"] = c.image_spikes;
        d["image_ops"] = c.image_ops;
        return d;
    }

    fsvae::Counters counters_from_dict(const py::dict& d) const {
        fsvae::Counters c;
        const fsvae::ModelInfo& I = engine().model().info();
        c.resize(engine().model());
        c.images = d["images"].cast<uint64_t>();
        c.latent_spikes = d["latent_spikes"].cast<uint64_t>();
        const py::list layers = d["layers"].cast<py::list>();
        if (layers.size() != c.layers.size())
            raise(FSVAE_ERROR_INVALID_ARGUMENT, "counters: " + std::to_string(layers.size()) +
                                                    " layers, the model has " + std::to_string(c.layers.size()));
        for (size_t i = 0; i < c.layers.size(); ++i) {
            const py::dict l = layers[i].cast<py::dict>();
            fsvae::LayerCounters& L = c.layers[i];
            L.spikes = l["spikes"].cast<uint64_t>();
            L.events = l["events"].cast<uint64_t>();
            L.synaptic_ops = l["synaptic_ops"].cast<uint64_t>();
            L.dense_macs = l["dense_macs"].cast<uint64_t>();
            L.steps = l["steps"].cast<uint64_t>();
            L.seconds = l["seconds"].cast<double>();
            L.spikes_per_step = l["spikes_per_step"].cast<std::vector<uint64_t>>();
            if (L.spikes_per_step.size() != I.time_steps)
                raise(FSVAE_ERROR_INVALID_ARGUMENT, "counters: layer " + std::to_string(i) +
                                                        " has a per-step count of the wrong length");
            const auto neurons = l["neuron_spikes"].cast<std::vector<uint32_t>>();
            if (neurons.size() != L.neuron_spikes.size())
                raise(FSVAE_ERROR_INVALID_ARGUMENT, "counters: layer " + std::to_string(i) +
                                                        " has a per-neuron count of the wrong length");
            L.neuron_spikes = neurons;
        }
        auto take = [&](const char* key, auto& v) {
            using V = std::decay_t<decltype(v)>;
            V got = d[key].cast<V>();
            if (!v.empty() && got.size() != v.size())
                raise(FSVAE_ERROR_INVALID_ARGUMENT, std::string("counters: ") + key + " has the wrong length");
            v = std::move(got);
        };
        take("latent_ones", c.latent_ones);
        take("choices", c.choices);
        take("image_spikes", c.image_spikes);
        take("image_ops", c.image_ops);
        if (c.image_spikes.size() != c.image_ops.size())
            raise(FSVAE_ERROR_INVALID_ARGUMENT, "counters: image_spikes and image_ops differ in length");
        return c;
    }

    // Counters::merge over a list of raw counter dicts (per-chunk runs).
    py::dict merge_counters(const py::list& parts) const {
        fsvae::Counters total;
        total.resize(engine().model());
        for (const auto& p : parts) total.merge(counters_from_dict(p.cast<py::dict>()));
        return counters_to_dict(total);
    }

    // The profile JSON text, from tools/profile_json.cpp (what `fsvae
    // profile --json` writes).
    std::string profile_json(const py::dict& counters, const std::string& mode, uint64_t seed,
                             uint64_t first_index, int threads, const std::string& input,
                             uint64_t offset, const std::string& energy_table) const {
        const fsvae::Counters c = counters_from_dict(counters);
        fsvae::profile::RunInfo run;
        run.mode = mode == "reconstruct" ? fsvae::Mode::Reconstruct : fsvae::Mode::Generate;
        run.seed = seed;
        run.first_index = first_index;
        run.threads = threads;
        run.input = input;
        run.offset = offset;
        run.energy_table = energy_table;
        std::string text;
        without_gil([&] {
            text = fsvae::profile::to_json(engine(), c, run)
                       .dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
        });
        return text;
    }

    const fsvae::Engine& engine() const { return *m_->engine; }
    const fsvae_model* handle() const { return m_; }

private:
    fsvae_model* m_ = nullptr;
    fsvae_model_info info_{};
};

// One image step by step on the calling thread: fsvae_begin_*, fsvae_step,
// fsvae_read_image.
class Steps {
public:
    Steps(std::shared_ptr<Model> model, uint64_t index, uint64_t seed,
          std::optional<py::array_t<float, py::array::c_style>> image)
        : model_(std::move(model)) {
        model_->session(s_, seed, 1);
        if (image)
            check(fsvae_begin_reconstruct(s_.p, index, image->data(), model_->image_floats()), s_.p);
        else
            check(fsvae_begin_generate(s_.p, index), s_.p);
    }

    py::array_t<float> next() {
        const fsvae_model_info& i = model_->raw_info();
        py::array_t<float> out({py::ssize_t(i.channels), py::ssize_t(i.height), py::ssize_t(i.width)});
        fsvae_status st;
        {
            py::gil_scoped_release release;
            st = fsvae_step(s_.p);
            if (st == FSVAE_OK)
                st = fsvae_read_image(s_.p, out.mutable_data(), model_->image_floats());
        }
        if (st == FSVAE_END) throw py::stop_iteration();
        check(st, s_.p);
        return out;
    }

private:
    std::shared_ptr<Model> model_;
    SessionPtr s_;
};

std::string html_report(const std::string& profile_json) {
    std::string html;
    without_gil([&] {
        nlohmann::ordered_json j;
        try {
            j = nlohmann::ordered_json::parse(profile_json);
        } catch (const nlohmann::json::exception& e) {
            throw fsvae::Error(std::string("profile: not valid JSON (") + e.what() + ")");
        }
        try {
            html = fsvae::profile::html_report(j);
        } catch (const nlohmann::json::exception& e) {
            throw fsvae::Error(std::string("profile: not an fsvae profile (") + e.what() + ")");
        }
    });
    return html;
}

}  // namespace

PYBIND11_MODULE(_fsvae, m) {
    m.doc() = "fsvae-rt runtime bindings (use the fsvae package, not this module)";
    m.attr("runtime_version") = fsvae_version();

    m.def("_set_error_classes", [](py::dict d) { error_classes() = d; });
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const StatusError& e) {
            py::object key = py::int_(int(e.status));
            py::object cls = error_classes().contains(key) ? error_classes()[key]
                                                           : py::reinterpret_borrow<py::object>(PyExc_RuntimeError);
            PyErr_SetObject(cls.ptr(), py::str(e.message).ptr());
        }
    });

    py::class_<Model, std::shared_ptr<Model>>(m, "Model")
        .def(py::init<const std::string&>(), py::arg("path"))
        .def("info", &Model::info)
        .def("generate", &Model::generate, py::arg("count"), py::arg("seed"), py::arg("first_index"),
             py::arg("threads"))
        .def("reconstruct", &Model::reconstruct, py::arg("images"), py::arg("seed"),
             py::arg("first_index"), py::arg("threads"))
        .def("decode", &Model::decode, py::arg("z"), py::arg("threads"))
        .def("with_latents", &Model::with_latents, py::arg("count"), py::arg("seed"),
             py::arg("first_index"), py::arg("threads"), py::arg("images"))
        .def("profile_counters", &Model::profile_counters, py::arg("count"), py::arg("seed"),
             py::arg("first_index"), py::arg("threads"), py::arg("images"))
        .def("merge_counters", &Model::merge_counters, py::arg("parts"))
        .def("profile_json", &Model::profile_json, py::arg("counters"), py::arg("mode"),
             py::arg("seed"), py::arg("first_index"), py::arg("threads"), py::arg("input"),
             py::arg("offset"), py::arg("energy_table"));

    py::class_<Steps>(m, "Steps")
        .def(py::init<std::shared_ptr<Model>, uint64_t, uint64_t,
                      std::optional<py::array_t<float, py::array::c_style>>>(),
             py::arg("model"), py::arg("index"), py::arg("seed"), py::arg("image"))
        .def("__iter__", [](Steps& s) -> Steps& { return s; })
        .def("__next__", &Steps::next);

    m.def("html_report", &html_report, py::arg("profile_json"));
}
