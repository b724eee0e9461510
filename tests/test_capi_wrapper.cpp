// The header-only C++ wrapper (include/fsvae/fsvae.hpp) with exceptions on:
// RAII handles, spans, and failures thrown as fsvae::api::Error carrying the
// C status and message. tests/capi/wrapper_noexcept.cpp covers the
// FSVAE_NO_EXCEPTIONS mode.
#include <fsvae/fsvae.hpp>

#include <doctest/doctest.h>

#include <cstring>

#include "capi/capi_support.hpp"

using namespace fsvae_capi_test;
namespace api = fsvae::api;

TEST_CASE("wrapper: load, generate, step, count") {
    api::Model model(model_path());
    const api::ModelInfo info = model.info();
    CHECK(info.image_floats == 1024);
    api::Session session(model, {.threads = 1, .seed = 8});
    CHECK(session.image_floats() == 1024);

    const std::vector<float> two = session.generate(0, 2);
    REQUIRE(two.size() == 2048);
    std::vector<float> again(2048);
    CHECK(session.generate(0, 2, again).ok());
    CHECK(same_bytes(two, again));

    REQUIRE(session.begin_generate(1).ok());
    std::vector<float> last;
    api::Status st;
    while ((st = session.step())) last = session.read_image();
    CHECK(st.end());
    CHECK(session.steps_done() == info.time_steps);
    CHECK(std::memcmp(last.data(), two.data() + 1024, 1024 * sizeof(float)) == 0);

    const api::Counters c = session.counters();
    CHECK(c.images == 5);  // two batches of 2, one stepped image
    CHECK(c.layers.size() == info.layer_count);
    CHECK(c.latent_spikes > 0);
    CHECK(session.clear_counters().ok());
    CHECK(session.counters().images == 0);
}

TEST_CASE("wrapper: buffers, moves, and sessions outliving the model object") {
    const AlignedBytes bytes = read_model_bytes();
    api::Session session;
    std::vector<float> ref;
    {
        api::Model m(std::as_bytes(std::span(bytes.words)).first(bytes.size));
        api::Model moved = std::move(m);
        CHECK(!m);
        CHECK(moved);
        session = api::Session(moved, {.threads = 2, .seed = 1});
        ref = api::Session(moved, {.threads = 1, .seed = 1}).generate(4, 1);
    }
    CHECK(same_bytes(session.generate(4, 1), ref));
    std::vector<float> recon(1024);
    CHECK(session.reconstruct(4, 1, ref, recon).ok());
    REQUIRE(session.begin_reconstruct(4, ref).ok());
    while (session.step()) {
    }
    CHECK(same_bytes(session.read_image(), recon));
}

TEST_CASE("wrapper: failures throw api::Error with the C status and message") {
    try {
        api::Model bad("/nonexistent/x.fsvae");
        FAIL("no throw");
    } catch (const api::Error& e) {
        CHECK(e.code() == FSVAE_ERROR_IO);
        CHECK(std::strstr(e.what(), "/nonexistent/x.fsvae") != nullptr);
        CHECK(e.status().message() == e.what());
    }
    api::Model model(model_path());
    api::Session session(model);
    std::vector<float> small(100);
    CHECK_THROWS_AS(session.generate(0, 1, small), api::Error);
    CHECK_THROWS_AS(session.step(), api::Error);  // no begin
    try {
        (void)session.read_image(small);
    } catch (const api::Error& e) {
        CHECK(e.code() == FSVAE_ERROR_INVALID_ARGUMENT);
        CHECK(std::string(session.last_error()) == e.what());
    }
    api::Model empty;
    CHECK_THROWS_AS(empty.info(), api::Error);
    CHECK_THROWS_AS(api::Session{empty}, api::Error);
    api::Model out;
    CHECK_THROWS_AS((void)api::Model::load("/nonexistent", out), api::Error);
    CHECK(!out);
}
