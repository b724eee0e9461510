// The C API, function by function, through include/fsvae/fsvae.h only: what
// each call returns and writes, and its error paths (bad path, bad buffer,
// null arguments, wrong sizes, calls out of order), which must leave the
// caller's buffers untouched and say what went wrong.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "capi/capi_support.hpp"

using namespace fsvae_capi_test;

namespace {

std::vector<float> generate(fsvae_session* s, uint64_t first, size_t count) {
    std::vector<float> out(count * shared_info().image_floats);
    REQUIRE(fsvae_generate(s, first, count, out.data(), out.size()) == FSVAE_OK);
    return out;
}

bool contains(const char* text, const char* part) { return std::strstr(text, part) != nullptr; }

constexpr float kSentinel = 12345.0f;

bool untouched(const std::vector<float>& v) {
    return std::all_of(v.begin(), v.end(), [](float x) { return x == kSentinel; });
}

}  // namespace

TEST_CASE("capi: version and status strings") {
    const std::string v = fsvae_version();
    CHECK(v == std::to_string(FSVAE_VERSION_MAJOR) + "." + std::to_string(FSVAE_VERSION_MINOR) +
                   "." + std::to_string(FSVAE_VERSION_PATCH));
    std::set<std::string> names;
    for (int s = FSVAE_OK; s <= FSVAE_ERROR_INTERNAL; ++s)
        names.insert(fsvae_status_string(fsvae_status(s)));
    CHECK(names.size() == size_t(FSVAE_ERROR_INTERNAL) + 1);
    CHECK(names.count("unknown status") == 0);
    CHECK(std::string(fsvae_status_string(FSVAE_OK)) == "ok");
}

TEST_CASE("capi: loading from a file, and the model's info") {
    fsvae_model* m = nullptr;
    REQUIRE(fsvae_model_load_file(model_path(), &m) == FSVAE_OK);
    ModelPtr hold(m);
    fsvae_model_info i = FSVAE_MODEL_INFO_INIT;
    REQUIRE(fsvae_model_get_info(m, &i) == FSVAE_OK);
    CHECK(i.time_steps == 16);
    CHECK(i.k == 20);
    CHECK(i.latent_dim == 128);
    CHECK(i.channels == 1);
    CHECK(i.height == 32);
    CHECK(i.width == 32);
    CHECK(i.layer_count == 17);
    CHECK(i.image_floats == 1024);
    CHECK(i.model_bytes == read_model_bytes().size);
    CHECK(std::string(i.variant) == "FSVAE");
    CHECK(std::string(i.dataset) == "fashion-mnist");
    CHECK(std::strlen(i.isa) > 0);

    CHECK(fsvae_model_get_info(nullptr, &i) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_model_get_info(m, nullptr) == FSVAE_ERROR_INVALID_ARGUMENT);
    fsvae_model_free(nullptr);  // no-op
}

TEST_CASE("capi: a file that cannot be read or is not a model") {
    fsvae_model* m = reinterpret_cast<fsvae_model*>(&m);  // must be reset to NULL
    CHECK(fsvae_model_load_file("/nonexistent/dir/model.fsvae", &m) == FSVAE_ERROR_IO);
    CHECK(m == nullptr);
    CHECK(contains(fsvae_last_error(), "/nonexistent/dir/model.fsvae"));
    CHECK(contains(fsvae_last_error(), "cannot open"));

    // A directory opens but is no model.
    CHECK(fsvae_model_load_file(FSVAE_TEST_SOURCE_DIR, &m) != FSVAE_OK);
    CHECK(m == nullptr);

    // A real file with other contents: this test's own source.
    const std::string self = std::string(FSVAE_TEST_SOURCE_DIR) + "/tests/test_capi.cpp";
    CHECK(fsvae_model_load_file(self.c_str(), &m) == FSVAE_ERROR_INVALID_MODEL);
    CHECK(m == nullptr);
    CHECK(contains(fsvae_last_error(), "not an fsvae model"));

    CHECK(fsvae_model_load_file(nullptr, &m) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_model_load_file(model_path(), nullptr) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(contains(fsvae_last_error(), "out is NULL"));
}

TEST_CASE("capi: loading from a caller-owned buffer, without a copy") {
    AlignedBytes bytes = read_model_bytes();
    fsvae_model* m = nullptr;
    REQUIRE(fsvae_model_load_buffer(bytes.data(), bytes.size, &m) == FSVAE_OK);
    ModelPtr hold(m);
    fsvae_model_info i = FSVAE_MODEL_INFO_INIT;
    REQUIRE(fsvae_model_get_info(m, &i) == FSVAE_OK);
    CHECK(i.model_bytes == bytes.size);

    // Same images as the file-loaded model.
    SessionPtr a = make_session(m, 1, 4), b = make_session(shared_model(), 1, 4);
    const auto from_buffer = generate(a.get(), 0, 2);
    CHECK(same_bytes(from_buffer, generate(b.get(), 0, 2)));

    // The weights are read in place: changing the caller's bytes changes the
    // output (which is why the caller must keep them unchanged).
    for (size_t w = 0; w < bytes.words.size(); ++w) {
        float f[2];
        std::memcpy(f, &bytes.words[w], 8);
        // Only plausible weight floats (small, normal) are scaled: headers,
        // offsets and sizes are integers that look like tiny denormals or
        // huge values, and are left alone.
        for (float& x : f)
            if (std::fabs(x) > 1e-6f && std::fabs(x) < 10.0f) x *= 1.5f;
        std::memcpy(&bytes.words[w], f, 8);
    }
    SessionPtr c = make_session(m, 1, 4);
    CHECK(!same_bytes(from_buffer, generate(c.get(), 0, 2)));
}

TEST_CASE("capi: bad buffers") {
    AlignedBytes bytes = read_model_bytes();
    fsvae_model* m = nullptr;
    CHECK(fsvae_model_load_buffer(bytes.data(), bytes.size / 2, &m) == FSVAE_ERROR_INVALID_MODEL);
    CHECK(m == nullptr);
    CHECK(contains(fsvae_last_error(), "model buffer"));
    CHECK(fsvae_model_load_buffer(bytes.data(), 0, &m) == FSVAE_ERROR_INVALID_MODEL);
    CHECK(fsvae_model_load_buffer(bytes.data(), 5, &m) == FSVAE_ERROR_INVALID_MODEL);
    std::vector<uint64_t> garbage(4096, 0x0123456789abcdefull);
    CHECK(fsvae_model_load_buffer(garbage.data(), garbage.size() * 8, &m) == FSVAE_ERROR_INVALID_MODEL);
    CHECK(contains(fsvae_last_error(), "not an fsvae model"));
    // Corrupted in the middle: the verifier or the shape checks catch it.
    AlignedBytes broken = read_model_bytes();
    std::memset(broken.bytes() + 16, 0xff, 64);
    CHECK(fsvae_model_load_buffer(broken.data(), broken.size, &m) == FSVAE_ERROR_INVALID_MODEL);

    CHECK(fsvae_model_load_buffer(bytes.bytes() + 1, bytes.size - 1, &m) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(contains(fsvae_last_error(), "aligned"));
    CHECK(fsvae_model_load_buffer(nullptr, 100, &m) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_model_load_buffer(bytes.data(), bytes.size, nullptr) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(m == nullptr);
}

TEST_CASE("capi: session creation") {
    fsvae_session* s = reinterpret_cast<fsvae_session*>(&s);
    CHECK(fsvae_session_create(nullptr, nullptr, &s) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(s == nullptr);
    CHECK(fsvae_session_create(shared_model(), nullptr, nullptr) == FSVAE_ERROR_INVALID_ARGUMENT);
    fsvae_session_options o = FSVAE_SESSION_OPTIONS_INIT;
    o.threads = 0x80000000u;
    CHECK(fsvae_session_create(shared_model(), &o, &s) == FSVAE_ERROR_INVALID_ARGUMENT);
    REQUIRE(fsvae_session_create(shared_model(), nullptr, &s) == FSVAE_OK);  // defaults
    CHECK(std::string(fsvae_session_last_error(s)).empty());
    CHECK(std::string(fsvae_session_last_error(nullptr)).empty());
    fsvae_session_free(s);
    fsvae_session_free(nullptr);  // no-op
}

TEST_CASE("capi: a session keeps its model alive after the model handle is freed") {
    fsvae_model* m = nullptr;
    REQUIRE(fsvae_model_load_file(model_path(), &m) == FSVAE_OK);
    SessionPtr s = make_session(m, 1, 9);
    fsvae_model_free(m);
    SessionPtr ref = make_session(shared_model(), 1, 9);
    CHECK(same_bytes(generate(s.get(), 3, 1), generate(ref.get(), 3, 1)));
    fsvae_layer_counters layers[17];
    fsvae_counters t{};
    REQUIRE(fsvae_read_counters(s.get(), &t, layers, 17) == FSVAE_OK);
    CHECK(std::string(layers[0].name) == "encoder.0");  // names live as long as the session
}

TEST_CASE("capi: generation is deterministic in (seed, index), whatever the threads") {
    const size_t S = shared_info().image_floats;
    SessionPtr one = make_session(shared_model(), 1, 11), two = make_session(shared_model(), 2, 11),
               all = make_session(shared_model(), 0, 11);
    const auto ref = generate(one.get(), 0, 6);
    CHECK(same_bytes(ref, generate(two.get(), 0, 6)));
    CHECK(same_bytes(ref, generate(all.get(), 0, 6)));
    // A sub-range alone gives the same images.
    const auto tail = generate(two.get(), 4, 2);
    CHECK(std::memcmp(tail.data(), ref.data() + 4 * S, 2 * S * sizeof(float)) == 0);
    // Not all alike; another seed differs.
    CHECK(std::memcmp(ref.data(), ref.data() + S, S * sizeof(float)) != 0);
    SessionPtr other = make_session(shared_model(), 1, 12);
    CHECK(!same_bytes(generate(other.get(), 0, 1), generate(one.get(), 0, 1)));
    float lo = 1, hi = -1;
    for (float v : ref) {
        REQUIRE(std::isfinite(v));
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    CHECK(lo >= -1.0f);
    CHECK(hi <= 1.0f);
    CHECK(hi - lo > 0.5f);
}

TEST_CASE("capi: generate's error paths leave the output untouched") {
    const size_t S = shared_info().image_floats;
    SessionPtr s = make_session(shared_model(), 1, 0);
    std::vector<float> out(2 * S, kSentinel);
    CHECK(fsvae_generate(nullptr, 0, 1, out.data(), out.size()) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(contains(fsvae_last_error(), "session is NULL"));
    CHECK(fsvae_generate(s.get(), 0, 1, nullptr, S) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_generate(s.get(), 0, 3, out.data(), out.size()) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(contains(fsvae_session_last_error(s.get()), "fsvae_generate"));
    CHECK(contains(fsvae_session_last_error(s.get()), "fewer floats"));
    CHECK(fsvae_generate(s.get(), 0, 1, out.data(), S - 1) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_generate(s.get(), std::numeric_limits<uint64_t>::max(), 2, out.data(), out.size()) ==
          FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_generate(s.get(), 0, std::numeric_limits<size_t>::max(), out.data(), out.size()) ==
          FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(untouched(out));
    CHECK(fsvae_generate(s.get(), 0, 0, nullptr, 0) == FSVAE_OK);  // nothing to do
    // The last index itself is allowed.
    CHECK(fsvae_generate(s.get(), std::numeric_limits<uint64_t>::max(), 1, out.data(), S) == FSVAE_OK);
}

TEST_CASE("capi: reconstruction, in batches and with its errors") {
    const size_t S = shared_info().image_floats;
    SessionPtr s = make_session(shared_model(), 1, 5), t = make_session(shared_model(), 2, 5);
    const auto images = generate(s.get(), 0, 3);
    std::vector<float> r1(3 * S), r2(3 * S);
    REQUIRE(fsvae_reconstruct(s.get(), 0, 3, images.data(), images.size(), r1.data(), r1.size()) == FSVAE_OK);
    REQUIRE(fsvae_reconstruct(t.get(), 0, 3, images.data(), images.size(), r2.data(), r2.size()) == FSVAE_OK);
    CHECK(same_bytes(r1, r2));
    CHECK(!same_bytes(r1, images));

    std::vector<float> out(3 * S, kSentinel);
    CHECK(fsvae_reconstruct(nullptr, 0, 1, images.data(), S, out.data(), S) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_reconstruct(s.get(), 0, 1, nullptr, S, out.data(), S) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_reconstruct(s.get(), 0, 1, images.data(), S, nullptr, S) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_reconstruct(s.get(), 0, 3, images.data(), 2 * S, out.data(), 3 * S) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_reconstruct(s.get(), 0, 3, images.data(), 3 * S, out.data(), 3 * S - 1) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(untouched(out));
    CHECK(fsvae_reconstruct(s.get(), 0, 0, nullptr, 0, nullptr, 0) == FSVAE_OK);

    // Pixels outside [-1, 1] (or NaN) are the caller's mistake, refused
    // before anything runs, in a batch and step by step.
    for (float bad : {1.5f, -1.01f, std::nanf("")}) {
        std::vector<float> wrong(images.begin(), images.end());
        wrong[S + 7] = bad;
        CHECK(fsvae_reconstruct(s.get(), 0, 3, wrong.data(), 3 * S, out.data(), 3 * S) ==
              FSVAE_ERROR_INVALID_ARGUMENT);
        CHECK(std::string(fsvae_last_error()).find("[-1, 1]") != std::string::npos);
        CHECK(fsvae_reconstruct(t.get(), 0, 3, wrong.data(), 3 * S, out.data(), 3 * S) ==
              FSVAE_ERROR_INVALID_ARGUMENT);
        CHECK(fsvae_begin_reconstruct(s.get(), 0, wrong.data() + S, S) == FSVAE_ERROR_INVALID_ARGUMENT);
        CHECK(untouched(out));
    }
}

TEST_CASE("capi: step-by-step generation sharpens into the batch image") {
    const fsvae_model_info I = shared_info();
    const size_t S = I.image_floats;
    SessionPtr s = make_session(shared_model(), 1, 21);
    std::vector<float> img(S, kSentinel);
    uint32_t done = 99;
    CHECK(fsvae_step(s.get()) == FSVAE_ERROR_BAD_STATE);
    CHECK(contains(fsvae_session_last_error(s.get()), "fsvae_step"));
    CHECK(fsvae_read_image(s.get(), img.data(), S) == FSVAE_ERROR_BAD_STATE);
    CHECK(untouched(img));
    CHECK(fsvae_steps_done(s.get(), &done) == FSVAE_OK);
    CHECK(done == 0);

    REQUIRE(fsvae_begin_generate(s.get(), 7) == FSVAE_OK);
    std::vector<std::vector<float>> per_step;
    fsvae_status st;
    while ((st = fsvae_step(s.get())) == FSVAE_OK) {
        REQUIRE(fsvae_read_image(s.get(), img.data(), S) == FSVAE_OK);
        per_step.push_back(img);
        REQUIRE(fsvae_steps_done(s.get(), &done) == FSVAE_OK);
        CHECK(done == per_step.size());
    }
    CHECK(st == FSVAE_END);
    CHECK(fsvae_step(s.get()) == FSVAE_END);  // stays at the end
    REQUIRE(per_step.size() == I.time_steps);
    for (size_t t = 1; t < per_step.size(); ++t) CHECK(!same_bytes(per_step[t - 1], per_step[t]));
    CHECK(same_bytes(per_step.back(), generate(make_session(shared_model(), 2, 21).get(), 7, 1)));

    CHECK(fsvae_read_image(s.get(), img.data(), S - 1) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_read_image(s.get(), nullptr, S) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_read_image(nullptr, img.data(), S) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_steps_done(s.get(), nullptr) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_step(nullptr) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_begin_generate(nullptr, 0) == FSVAE_ERROR_INVALID_ARGUMENT);

    // A batch call ends the run in progress.
    REQUIRE(fsvae_begin_generate(s.get(), 7) == FSVAE_OK);
    REQUIRE(fsvae_step(s.get()) == FSVAE_OK);
    generate(s.get(), 0, 1);
    CHECK(fsvae_step(s.get()) == FSVAE_ERROR_BAD_STATE);
}

TEST_CASE("capi: step-by-step reconstruction equals the batch") {
    const size_t S = shared_info().image_floats;
    SessionPtr s = make_session(shared_model(), 1, 2);
    const auto images = generate(s.get(), 0, 1);
    std::vector<float> batch(S), stepped(S);
    REQUIRE(fsvae_reconstruct(s.get(), 30, 1, images.data(), S, batch.data(), S) == FSVAE_OK);
    REQUIRE(fsvae_begin_reconstruct(s.get(), 30, images.data(), S) == FSVAE_OK);
    while (fsvae_step(s.get()) == FSVAE_OK) {
    }
    REQUIRE(fsvae_read_image(s.get(), stepped.data(), S) == FSVAE_OK);
    CHECK(same_bytes(batch, stepped));

    CHECK(fsvae_begin_reconstruct(s.get(), 0, nullptr, S) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_begin_reconstruct(s.get(), 0, images.data(), S - 1) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_begin_reconstruct(nullptr, 0, images.data(), S) == FSVAE_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("capi: sparsity counters") {
    const fsvae_model_info I = shared_info();
    SessionPtr one = make_session(shared_model(), 1, 3), two = make_session(shared_model(), 2, 3);
    generate(one.get(), 0, 4);
    generate(two.get(), 0, 4);

    fsvae_counters t1{}, t2{};
    std::vector<fsvae_layer_counters> l1(I.layer_count), l2(I.layer_count);
    REQUIRE(fsvae_read_counters(one.get(), &t1, l1.data(), l1.size()) == FSVAE_OK);
    REQUIRE(fsvae_read_counters(two.get(), &t2, l2.data(), l2.size()) == FSVAE_OK);
    CHECK(t1.images == 4);
    CHECK(t1.layer_count == I.layer_count);
    CHECK(t1.latent_spikes > 0);
    CHECK(t1.latent_spikes < uint64_t(4) * I.time_steps * I.latent_dim);
    // A serial batch and a oneTBB batch count the same.
    CHECK(t2.images == t1.images);
    CHECK(t2.latent_spikes == t1.latent_spikes);
    uint64_t run_layers = 0;
    for (size_t i = 0; i < l1.size(); ++i) {
        INFO(l1[i].name);
        CHECK(std::strlen(l1[i].name) > 0);
        CHECK(l1[i].neurons > 0);
        CHECK(l1[i].spikes == l2[i].spikes);
        CHECK(l1[i].events == l2[i].events);
        CHECK(l1[i].synaptic_ops == l2[i].synaptic_ops);
        CHECK(l1[i].dense_macs == l2[i].dense_macs);
        CHECK(l1[i].steps == l2[i].steps);
        if (l1[i].steps == 0) {
            CHECK(l1[i].spikes == 0);  // not run when generating (the encoder)
            continue;
        }
        ++run_layers;
        CHECK(l1[i].steps == uint64_t(4) * I.time_steps);
        CHECK(l1[i].spikes <= l1[i].neurons * l1[i].steps);
        CHECK(l1[i].synaptic_ops < l1[i].dense_macs);  // the point of running on events
    }
    CHECK(run_layers == 9);  // prior x3, decoder_input, decoder x3, final_layer x2
    CHECK(std::string(l1[0].name) == "encoder.0");

    // Step-by-step runs count too.
    REQUIRE(fsvae_begin_generate(one.get(), 0) == FSVAE_OK);
    while (fsvae_step(one.get()) == FSVAE_OK) {
    }
    REQUIRE(fsvae_read_counters(one.get(), &t1, nullptr, 0) == FSVAE_OK);
    CHECK(t1.images == 5);

    // Size errors.
    CHECK(fsvae_read_counters(one.get(), &t1, l1.data(), l1.size() - 1) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_read_counters(one.get(), &t1, nullptr, 3) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_read_counters(one.get(), nullptr, l1.data(), l1.size()) == FSVAE_ERROR_INVALID_ARGUMENT);
    CHECK(fsvae_read_counters(nullptr, &t1, l1.data(), l1.size()) == FSVAE_ERROR_INVALID_ARGUMENT);

    REQUIRE(fsvae_clear_counters(one.get()) == FSVAE_OK);
    REQUIRE(fsvae_clear_counters(two.get()) == FSVAE_OK);
    CHECK(fsvae_clear_counters(nullptr) == FSVAE_ERROR_INVALID_ARGUMENT);
    for (fsvae_session* s : {one.get(), two.get()}) {
        REQUIRE(fsvae_read_counters(s, &t1, l1.data(), l1.size()) == FSVAE_OK);
        CHECK(t1.images == 0);
        CHECK(t1.latent_spikes == 0);
        for (const auto& l : l1) CHECK(l.spikes + l.events + l.synaptic_ops + l.dense_macs + l.steps == 0);
    }
}

TEST_CASE("capi: the thread's last error is per thread") {
    fsvae_model* m = nullptr;
    CHECK(fsvae_model_load_file("/nonexistent/a.fsvae", &m) == FSVAE_ERROR_IO);
    std::string other;
    std::thread([&] {
        other = fsvae_last_error();
        fsvae_model* n = nullptr;
        fsvae_model_load_file("/nonexistent/b.fsvae", &n);
    }).join();
    CHECK(other.empty());
    CHECK(contains(fsvae_last_error(), "a.fsvae"));
}
