// The step loop allocates nothing: after a workspace's first image, whole
// images (generation, reconstruction, step by step) run without a single
// heap allocation. Counted by replacing the global operator new in this
// test binary; only allocations made while a test counts, on its own
// thread, are counted.
#include <doctest/doctest.h>

#include <cstdlib>
#include <new>

#include "support.hpp"

namespace {
thread_local bool counting = false;
thread_local size_t allocations = 0;

void* allocate(std::size_t n) {
    if (counting) ++allocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace fsvae;
using namespace fsvae::test;

namespace {
template <class F>
size_t count_allocations(F&& f) {
    allocations = 0;
    counting = true;
    f();
    counting = false;
    return allocations;
}
}  // namespace

TEST_CASE("allocations: none inside the step loop once a workspace is warm") {
    auto model = bundled_model();
    const ModelInfo& I = model->info();
    std::vector<float> out(I.image_size()), image(I.image_size(), 0.0f);
    for (size_t p = 0; p < image.size(); ++p) image[p] = float(p % 7) / 3.0f - 1.0f;
    for (bool lazy : {true, false}) {
        EngineOptions options;
        options.lazy_sampling = lazy;
        Engine engine(model, nullptr, options);
        Workspace ws(engine);
        ws.generate(ChoiceSource(1, 0, I.k, I.latent_dim), out.data());
        ws.reconstruct(image.data(), ChoiceSource(1, 0, I.k, I.latent_dim), out.data());
        INFO("lazy sampling ", lazy);
        CHECK(count_allocations([&] {
                  for (uint64_t i = 1; i < 4; ++i)
                      ws.generate(ChoiceSource(1, i, I.k, I.latent_dim), out.data());
              }) == 0);
        CHECK(count_allocations([&] {
                  ws.reconstruct(image.data(), ChoiceSource(2, 0, I.k, I.latent_dim), out.data());
              }) == 0);
        CHECK(count_allocations([&] {
                  ws.begin(Mode::Generate, ChoiceSource(3, 0, I.k, I.latent_dim));
                  while (ws.step()) ws.read_image(out.data());
              }) == 0);
    }
    // The counter works: building a workspace allocates.
    Engine engine(model);
    CHECK(count_allocations([&] { Workspace fresh(engine); }) > 0);
}
