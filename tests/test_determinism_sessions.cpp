// Determinism beyond test_determinism.cpp: an image depends only on (seed,
// index) whatever order sessions run in, however their steps interleave and
// whatever a workspace ran before; and reconstruction keeps the same promise
// across thread counts, batch offsets and kernel tables.
#include <doctest/doctest.h>

#include <cstring>

#include "support.hpp"

using namespace fsvae;
using namespace fsvae::test;

namespace {

constexpr uint64_t kSeed = 21;
constexpr size_t kCount = 6;

bool same_bytes(const float* a, const float* b, size_t n) { return std::memcmp(a, b, n * 4) == 0; }

std::vector<float> batch(const Engine& e, Mode mode, const float* inputs, uint64_t first,
                         size_t count, int threads) {
    std::vector<float> out(count * e.model().info().image_size());
    BatchOptions o;
    o.seed = kSeed;
    o.first_index = first;
    o.count = count;
    o.threads = threads;
    if (mode == Mode::Generate)
        generate_batch(e, o, out.data());
    else
        reconstruct_batch(e, o, inputs, out.data());
    return out;
}

// Inputs for reconstruction that need no data set: generated images.
const std::vector<float>& inputs() {
    static const std::vector<float> v = [] {
        Engine e(bundled_model());
        BatchOptions o;
        o.seed = 99;
        o.count = kCount;
        std::vector<float> out(kCount * e.model().info().image_size());
        generate_batch(e, o, out.data());
        return out;
    }();
    return v;
}

// Runs `order` (image indices) on two workspaces, alternating one step of
// each when `interleave`, else image after image; image i goes to workspace
// i % 2. Returns the images by index.
std::vector<float> run_sessions(const Engine& e, Mode mode, const std::vector<size_t>& order,
                                bool interleave) {
    const size_t S = e.model().info().image_size();
    const ModelInfo& I = e.model().info();
    std::vector<float> out(kCount * S, 0.0f);
    Workspace ws[2] = {Workspace(e), Workspace(e)};
    auto start = [&](Workspace& w, size_t i) {
        w.begin(mode, ChoiceSource(kSeed, i, I.k, I.latent_dim),
                mode == Mode::Reconstruct ? inputs().data() + i * S : nullptr);
    };
    if (!interleave) {
        for (size_t i : order) {
            Workspace& w = ws[i % 2];
            start(w, i);
            while (w.step()) {
            }
            w.read_image(out.data() + i * S);
        }
        return out;
    }
    // Pairs of images in flight at once, one step of each in turn.
    for (size_t p = 0; p + 1 < order.size(); p += 2) {
        const size_t a = order[p], b = order[p + 1];
        start(ws[0], a);
        start(ws[1], b);
        bool more_a = true, more_b = true;
        while (more_a || more_b) {
            if (more_a) more_a = ws[0].step();
            if (more_b) more_b = ws[1].step();
        }
        ws[0].read_image(out.data() + a * S);
        ws[1].read_image(out.data() + b * S);
    }
    return out;
}

}  // namespace

TEST_CASE("determinism: the order of sessions and interleaved steps do not change an image") {
    Engine e(bundled_model());
    const size_t S = e.model().info().image_size();
    for (Mode mode : {Mode::Generate, Mode::Reconstruct}) {
        INFO((mode == Mode::Generate ? "generate" : "reconstruct"));
        const auto ref = batch(e, mode, inputs().data(), 0, kCount, 1);
        const auto forward = run_sessions(e, mode, {0, 1, 2, 3, 4, 5}, false);
        const auto backward = run_sessions(e, mode, {5, 4, 3, 2, 1, 0}, false);
        const auto interleaved = run_sessions(e, mode, {3, 0, 5, 2, 1, 4}, true);
        for (size_t i = 0; i < kCount; ++i) {
            INFO("image ", i);
            CHECK(same_bytes(forward.data() + i * S, ref.data() + i * S, S));
            CHECK(same_bytes(backward.data() + i * S, ref.data() + i * S, S));
            CHECK(same_bytes(interleaved.data() + i * S, ref.data() + i * S, S));
        }
        CHECK(!same_bytes(ref.data(), ref.data() + S, S));
    }
}

TEST_CASE("determinism: a workspace reused after a reconstruction generates the same image") {
    Engine e(bundled_model());
    const ModelInfo& I = e.model().info();
    const size_t S = I.image_size();
    std::vector<float> fresh(S), reused(S), scratch(S);
    Workspace(e).generate(ChoiceSource(kSeed, 2, I.k, I.latent_dim), fresh.data());
    Workspace w(e);
    w.reconstruct(inputs().data(), ChoiceSource(kSeed, 0, I.k, I.latent_dim), scratch.data());
    // Stopped half way: nothing of it may leak into the next image either.
    w.begin(Mode::Generate, ChoiceSource(kSeed, 5, I.k, I.latent_dim));
    w.step();
    w.generate(ChoiceSource(kSeed, 2, I.k, I.latent_dim), reused.data());
    CHECK(same_bytes(fresh.data(), reused.data(), S));
}

TEST_CASE("determinism: reconstruction is the same for any thread count, batch size and offset") {
    Engine e(bundled_model());
    const size_t S = e.model().info().image_size();
    const float* in = inputs().data();
    const auto one = batch(e, Mode::Reconstruct, in, 0, kCount, 1);
    const auto two = batch(e, Mode::Reconstruct, in, 0, kCount, 2);
    const auto many = batch(e, Mode::Reconstruct, in, 0, kCount, 0);
    CHECK(same_bytes(one.data(), two.data(), one.size()));
    CHECK(same_bytes(one.data(), many.data(), one.size()));
    // Images 2..4 alone, as indices 2..4 of the batch.
    const auto tail = batch(e, Mode::Reconstruct, in + 2 * S, 2, 3, 2);
    CHECK(same_bytes(tail.data(), one.data() + 2 * S, tail.size()));
}

TEST_CASE("determinism: every kernel table reconstructs the same bytes") {
    auto model = bundled_model();
    const kernels::KernelTable* tables[8];
    const size_t n = kernels::available_kernels(tables, 8);
    const auto ref =
        batch(Engine(model, &kernels::scalar_kernels()), Mode::Reconstruct, inputs().data(), 0, 3, 1);
    for (size_t i = 0; i < n; ++i) {
        INFO(tables[i]->isa);
        const auto got = batch(Engine(model, tables[i]), Mode::Reconstruct, inputs().data(), 0, 3, 1);
        CHECK(same_bytes(ref.data(), got.data(), ref.size()));
    }
}
