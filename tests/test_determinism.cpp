// An image depends only on (seed, index): the same bytes for any thread count,
// any batch size or offset, and any kernel table.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "support.hpp"

using namespace fsvae;
using namespace fsvae::test;

namespace {

std::vector<float> generate(const Engine& e, uint64_t seed, uint64_t first, size_t count,
                            int threads) {
    std::vector<float> out(count * e.model().info().image_size());
    BatchOptions o;
    o.seed = seed;
    o.first_index = first;
    o.count = count;
    o.threads = threads;
    generate_batch(e, o, out.data());
    return out;
}

bool same_bytes(const float* a, const float* b, size_t n) { return std::memcmp(a, b, n * 4) == 0; }

}  // namespace

TEST_CASE("determinism: thread count, batch size and offset do not change an image") {
    Engine e(bundled_model());
    const size_t S = e.model().info().image_size();
    const auto one = generate(e, 11, 0, 12, 1);
    const auto two = generate(e, 11, 0, 12, 2);
    CHECK(same_bytes(one.data(), two.data(), one.size()));
    const auto first4 = generate(e, 11, 0, 4, 2);
    CHECK(same_bytes(first4.data(), one.data(), first4.size()));
    const auto tail = generate(e, 11, 5, 3, 2);  // images 5, 6, 7 alone
    CHECK(same_bytes(tail.data(), one.data() + 5 * S, tail.size()));

    // And the images are not all the same: the seed and index matter.
    CHECK(!same_bytes(one.data(), one.data() + S, S));
    const auto other_seed = generate(e, 12, 0, 1, 1);
    CHECK(!same_bytes(other_seed.data(), one.data(), S));
}

TEST_CASE("determinism: every kernel table gives the same bytes") {
    auto model = bundled_model();
    const kernels::KernelTable* tables[8];
    const size_t n = kernels::available_kernels(tables, 8);
    const auto ref = generate(Engine(model, &kernels::scalar_kernels()), 3, 0, 3, 1);
    for (size_t i = 0; i < n; ++i) {
        INFO(tables[i]->isa);
        const auto got = generate(Engine(model, tables[i]), 3, 0, 3, 1);
        CHECK(same_bytes(ref.data(), got.data(), ref.size()));
    }
}

TEST_CASE("determinism: generated images are in [-1, 1] and not blank") {
    Engine e(bundled_model());
    const auto imgs = generate(e, 0, 0, 4, 0);
    float lo = 1, hi = -1;
    for (float v : imgs) {
        REQUIRE(std::isfinite(v));
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    CHECK(lo >= -1.0f);
    CHECK(hi <= 1.0f);
    CHECK(hi - lo > 0.5f);
}

TEST_CASE("determinism: an image split across threads gives the same bytes, trace and counters") {
    for (const auto& model : {bundled_model(), large_model()}) {
        CAPTURE(model->origin());
        Engine e(model);
        const ModelInfo& I = model->info();
        const size_t S = I.image_size();
        std::vector<float> image(S);
        for (size_t p = 0; p < S; ++p) image[p] = float(p % 23) / 11.0f - 1.0f;
        Workspace one(e);
        std::vector<float> a(S), b(S);
        for (size_t threads : {2, 3, 5}) {
            Workspace split(e);
            split.set_threads(threads);
            for (Mode mode : {Mode::Generate, Mode::Reconstruct}) {
                for (uint64_t i = 0; i < 3; ++i) {
                    CAPTURE(threads);
                    CAPTURE(i);
                    CAPTURE(int(mode));
                    const ChoiceSource choices(13, i, I.k, I.latent_dim);
                    ImageTrace ta, tb;
                    one.clear_counters();
                    split.clear_counters();
                    if (mode == Mode::Generate) {
                        one.generate(choices, a.data(), &ta);
                        split.generate(choices, b.data(), &tb);
                    } else {
                        one.reconstruct(image.data(), choices, a.data(), &ta);
                        split.reconstruct(image.data(), choices, b.data(), &tb);
                    }
                    CHECK(same_bytes(a.data(), b.data(), S));
                    CHECK(ta.spikes == tb.spikes);
                    CHECK(ta.z == tb.z);
                    const Counters &ca = one.counters(), &cb = split.counters();
                    CHECK(ca.latent_spikes == cb.latent_spikes);
                    for (size_t li = 0; li < ca.layers.size(); ++li) {
                        CAPTURE(model->layer(li).spec.name);
                        CHECK(ca.layers[li].spikes == cb.layers[li].spikes);
                        CHECK(ca.layers[li].events == cb.layers[li].events);
                        CHECK(ca.layers[li].synaptic_ops == cb.layers[li].synaptic_ops);
                        CHECK(ca.layers[li].spikes_per_step == cb.layers[li].spikes_per_step);
                    }
                }
            }
        }
        // A batch smaller than its thread count splits its images' layers.
        const auto alone = generate(e, 4, 9, 1, 1);
        CHECK(same_bytes(alone.data(), generate(e, 4, 9, 1, 2).data(), S));
    }
}
