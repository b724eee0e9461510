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

void* allocate_aligned(std::size_t n, std::align_val_t align) {
    if (counting) ++allocations;
    const std::size_t a = static_cast<std::size_t>(align);
    // aligned_alloc wants a size that is a non-zero multiple of the alignment.
    const std::size_t size = n == 0 ? a : (n + a - 1) / a * a;
    if (void* p = std::aligned_alloc(a, size)) return p;
    throw std::bad_alloc();
}
}  // namespace

// Every replaceable form, so no allocation escapes the count: plain, array,
// aligned and nothrow (the deletes pair with them: all memory is malloc's).
void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try { return allocate(n); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    try { return allocate(n); } catch (...) { return nullptr; }
}
void* operator new(std::size_t n, std::align_val_t a) { return allocate_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate_aligned(n, a); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    try { return allocate_aligned(n, a); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    try { return allocate_aligned(n, a); } catch (...) { return nullptr; }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

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
    struct Config {
        const char* name;
        EngineOptions options;
    };
    EngineOptions dense;
    dense.dense = true;
    for (const Config& config : {Config{"event-driven", {}}, Config{"dense mode", dense}}) {
        Engine engine(model, nullptr, config.options);
        Workspace ws(engine);
        ws.generate(ChoiceSource(1, 0, I.k, I.latent_dim), out.data());
        ws.reconstruct(image.data(), ChoiceSource(1, 0, I.k, I.latent_dim), out.data());
        INFO(config.name);
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
    // And it sees the aligned and nothrow forms (stored through a volatile
    // pointer, so that the compiler cannot elide the new/delete pairs).
    CHECK(count_allocations([&] {
              struct alignas(64) Line { float v[16]; };
              static void* volatile escape;
              Line* line = new Line;
              escape = line;
              delete line;
              int* i = new (std::nothrow) int;
              escape = i;
              delete i;
          }) == 2);
}
