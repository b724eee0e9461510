// The C API's contract in its types: the calls that write a session's state
// take it non-const, and the option and info structs carry their size, so a
// later version can add fields without breaking programs built against an
// earlier header.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstring>
#include <type_traits>
#include <vector>

#include <fsvae/fsvae.hpp>

#include "capi/capi_support.hpp"

using namespace fsvae_capi_test;

namespace {

// The sizes of the first version of each struct (this one): what a program
// built against the 0.1 header passes, which later libraries must accept.
constexpr size_t kOptionsV1 = offsetof(fsvae_session_options, seed) + sizeof(uint64_t);
constexpr size_t kInfoV1 = offsetof(fsvae_model_info, isa) + sizeof(const char*);

std::vector<float> one_image(fsvae_session* s, uint64_t index) {
    std::vector<float> out(shared_info().image_floats);
    REQUIRE(fsvae_generate(s, index, 1, out.data(), out.size()) == FSVAE_OK);
    return out;
}

bool mentions(const char* text, const char* part) { return std::strstr(text, part) != nullptr; }

}  // namespace

TEST_CASE("capi: the calls that write a session's state take it non-const") {
    // fsvae_read_image forms the image in the session's buffers, and every
    // failing call stores the session's message: neither is a read-only call.
    CHECK(std::is_same_v<decltype(&fsvae_read_image), fsvae_status (*)(fsvae_session*, float*, size_t)>);
    CHECK(std::is_same_v<decltype(&fsvae_read_counters),
                         fsvae_status (*)(fsvae_session*, fsvae_counters*, fsvae_layer_counters*, size_t)>);
}

TEST_CASE("capi: session options carry their size") {
    fsvae_session_options o = FSVAE_SESSION_OPTIONS_INIT;
    CHECK(o.struct_size == sizeof o);
    CHECK(o.threads == 0);
    CHECK(o.seed == 0);
    SessionPtr ref = make_session(shared_model(), 1, 7);
    const std::vector<float> want = one_image(ref.get(), 2);

    // The first version's size.
    o.struct_size = kOptionsV1;
    o.threads = 1;
    o.seed = 7;
    fsvae_session* s = nullptr;
    REQUIRE(fsvae_session_create(shared_model(), &o, &s) == FSVAE_OK);
    SessionPtr old_size(s);
    CHECK(same_bytes(one_image(old_size.get(), 2), want));

    // Smaller: not a struct this library knows (0 is a zero-filled struct
    // whose size was never set).
    for (size_t size : {size_t(0), sizeof(uint32_t), kOptionsV1 - 1}) {
        CAPTURE(size);
        o.struct_size = size;
        s = reinterpret_cast<fsvae_session*>(&o);
        CHECK(fsvae_session_create(shared_model(), &o, &s) == FSVAE_ERROR_INVALID_ARGUMENT);
        CHECK(s == nullptr);
        CHECK(mentions(fsvae_last_error(), "struct_size"));
    }

    // A later version's larger struct: the fields this library does not know
    // are neither read nor written; the known ones are used.
    struct {
        fsvae_session_options o;
        uint64_t later[4];
    } big;
    std::memset(&big, 0xab, sizeof big);
    big.o.struct_size = sizeof big;
    big.o.threads = 1;
    big.o.seed = 7;
    REQUIRE(fsvae_session_create(shared_model(), &big.o, &s) == FSVAE_OK);
    SessionPtr larger(s);
    CHECK(same_bytes(one_image(larger.get(), 2), want));
    for (uint64_t v : big.later) CHECK(v == 0xababababababababull);
}

TEST_CASE("capi: model info carries its size") {
    fsvae_model_info i = FSVAE_MODEL_INFO_INIT;
    CHECK(i.struct_size == sizeof i);
    REQUIRE(fsvae_model_get_info(shared_model(), &i) == FSVAE_OK);
    CHECK(i.struct_size == sizeof i);
    CHECK(i.time_steps == 16);
    CHECK(std::strlen(i.isa) > 0);

    // The first version's size.
    fsvae_model_info old{};
    old.struct_size = kInfoV1;
    REQUIRE(fsvae_model_get_info(shared_model(), &old) == FSVAE_OK);
    CHECK(old.image_floats == 1024);
    CHECK(std::strcmp(old.variant, "FSVAE") == 0);

    // Smaller: refused, and nothing written.
    for (size_t size : {size_t(0), kInfoV1 - 1}) {
        CAPTURE(size);
        fsvae_model_info small;
        std::memset(&small, 0x5a, sizeof small);
        small.struct_size = size;
        CHECK(fsvae_model_get_info(shared_model(), &small) == FSVAE_ERROR_INVALID_ARGUMENT);
        CHECK(mentions(fsvae_last_error(), "struct_size"));
        const unsigned char* p = reinterpret_cast<const unsigned char*>(&small);
        bool untouched = true;
        for (size_t b = sizeof small.struct_size; b < sizeof small; ++b) untouched &= p[b] == 0x5a;
        CHECK(untouched);
    }

    // A later version's larger struct: the fields known here are filled, the
    // bytes after them are left as they were.
    struct {
        fsvae_model_info i;
        unsigned char later[40];
    } big;
    std::memset(&big, 0xab, sizeof big);
    big.i.struct_size = sizeof big;
    REQUIRE(fsvae_model_get_info(shared_model(), &big.i) == FSVAE_OK);
    CHECK(big.i.struct_size == sizeof big);
    CHECK(big.i.time_steps == 16);
    CHECK(big.i.image_floats == 1024);
    CHECK(std::strcmp(big.i.isa, i.isa) == 0);
    bool untouched = true;
    for (unsigned char c : big.later) untouched &= c == 0xab;
    CHECK(untouched);
}

TEST_CASE("capi: the C++ wrapper sets the structs' sizes") {
    fsvae::api::Model model(model_path());
    const fsvae::api::ModelInfo i = model.info();
    CHECK(i.struct_size == sizeof(fsvae_model_info));
    CHECK(i.time_steps == 16);
    fsvae::api::Session session(model, {.threads = 1, .seed = 7});
    SessionPtr ref = make_session(shared_model(), 1, 7);
    CHECK(same_bytes(session.generate(2, 1), one_image(ref.get(), 2)));
}
