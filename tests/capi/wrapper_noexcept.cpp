// wrapper_noexcept.cpp: the C++ wrapper compiled with -fno-exceptions and
// FSVAE_NO_EXCEPTIONS: every failure must come back as a Status. A plain
// program (doctest needs exceptions): exit 0 when every check holds.
#include <fsvae/fsvae.hpp>

#include <cstdio>
#include <cstring>
#include <vector>

namespace api = fsvae::api;

static int failures = 0;
#define EXPECT(cond)                                                   \
    do {                                                               \
        if (!(cond)) {                                                 \
            std::fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
            ++failures;                                                \
        }                                                              \
    } while (0)

int main() {
    api::Model bad;
    api::Status s = api::Model::load("/nonexistent/x.fsvae", bad);
    EXPECT(!s);
    EXPECT(s.code() == FSVAE_ERROR_IO);
    EXPECT(std::strstr(s.message().c_str(), "x.fsvae") != nullptr);
    EXPECT(!bad);
    EXPECT(bad.info().image_floats == 0);

    api::Session none;
    EXPECT(api::Session::create(bad, {}, none).code() == FSVAE_ERROR_INVALID_ARGUMENT);

    api::Model model;
    EXPECT(api::Model::load(FSVAE_TEST_MODEL, model).ok());
    api::Session session;
    EXPECT(api::Session::create(model, {1, 3}, session).ok());
    const size_t S = session.image_floats();
    EXPECT(S == 1024);

    std::vector<float> small(S - 1), img(S);
    s = session.generate(0, 1, small);
    EXPECT(s.code() == FSVAE_ERROR_INVALID_ARGUMENT);
    EXPECT(!s.message().empty());
    EXPECT(session.step().code() == FSVAE_ERROR_BAD_STATE);

    EXPECT(session.begin_generate(2).ok());
    int steps = 0;
    while ((s = session.step())) {
        EXPECT(session.read_image(img).ok());
        ++steps;
    }
    EXPECT(s.end());
    EXPECT(steps == int(model.info().time_steps));
    std::vector<float> batch(S);
    EXPECT(session.generate(2, 1, batch).ok());
    EXPECT(std::memcmp(batch.data(), img.data(), S * sizeof(float)) == 0);

    api::Counters c;
    EXPECT(session.counters(c).ok());
    EXPECT(c.images == 2);

    if (failures) return 1;
    std::puts("wrapper without exceptions: ok");
    return 0;
}
