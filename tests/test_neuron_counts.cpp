// Per-neuron and latent counters: they add up to the layer counts, do not
// depend on how the work is split (threads of a batch, parts of a layer),
// and the per-image figures agree with the traces. Their exact agreement with
// the PyTorch reference is checked by tests/python/test_profile.py.
#include <doctest/doctest.h>

#include <numeric>

#include "support.hpp"

using namespace fsvae;
using namespace fsvae::test;

namespace {

// Images in [-1, 1] with some structure (a bright disc on a gradient), so
// the encoder fires unevenly.
std::vector<float> test_images(const ModelInfo& I, size_t n) {
    std::vector<float> v(n * I.image_size());
    const size_t H = I.image_height, W = I.image_width;
    for (size_t i = 0; i < n; ++i)
        for (size_t y = 0; y < H; ++y)
            for (size_t x = 0; x < W; ++x) {
                const double dy = double(y) - double(H) / 2 + double(i), dx = double(x) - double(W) / 2;
                v[i * I.image_size() + y * W + x] =
                    dy * dy + dx * dx < 60.0 ? 0.9f : float(-1.0 + double(x + y) / double(H + W));
            }
    return v;
}

void check_same(const Counters& a, const Counters& b, const Model& m) {
    REQUIRE(a.layers.size() == b.layers.size());
    for (size_t li = 0; li < a.layers.size(); ++li) {
        INFO(m.layer(li).spec.name);
        const LayerSpec& s = m.layer(li).spec;
        REQUIRE(a.layers[li].neuron_spikes.size() == (s.spiking ? s.out.size() : 0u));
        CHECK(a.layers[li].neuron_spikes == b.layers[li].neuron_spikes);
    }
    CHECK(a.latent_ones == b.latent_ones);
    CHECK(a.choices == b.choices);
}

}  // namespace

TEST_CASE("neuron counts: sized per layer, add up to the layer's spikes") {
    Engine e(bundled_model());
    const Model& m = e.model();
    const ModelInfo& I = m.info();
    for (Mode mode : {Mode::Generate, Mode::Reconstruct}) {
        std::vector<float> in = test_images(I, 3), out(3 * I.image_size());
        BatchOptions o;
        o.seed = 4;
        o.count = 3;
        o.threads = 2;
        o.neuron_counts = true;
        Counters c;
        if (mode == Mode::Generate)
            generate_batch(e, o, out.data(), nullptr, &c);
        else
            reconstruct_batch(e, o, in.data(), out.data(), nullptr, &c);
        for (size_t li = 0; li < m.layers().size(); ++li) {
            const LayerSpec& s = m.layer(li).spec;
            const LayerCounters& L = c.layers[li];
            INFO(s.name);
            CHECK(L.neuron_spikes.size() == (s.spiking ? s.out.size() : 0u));
            CHECK(std::accumulate(L.neuron_spikes.begin(), L.neuron_spikes.end(), uint64_t(0)) == L.spikes);
            for (uint64_t n : L.neuron_spikes) CHECK(n <= L.steps);  // one spike per step at most
        }
        REQUIRE(c.latent_ones.size() == I.latent_dim);
        REQUIRE(c.choices.size() == I.k);
        CHECK(std::accumulate(c.latent_ones.begin(), c.latent_ones.end(), uint64_t(0)) == c.latent_spikes);
        CHECK(std::accumulate(c.choices.begin(), c.choices.end(), uint64_t(0)) ==
              uint64_t(3) * I.time_steps * I.latent_dim);
        CHECK(c.image_spikes.empty());  // per-image figures only when asked for
    }
}

TEST_CASE("neuron counts: only when asked for; the layer totals either way") {
    Engine e(bundled_model());
    const Model& m = e.model();
    const ModelInfo& I = m.info();
    std::vector<float> out(2 * I.image_size());
    BatchOptions o;
    o.seed = 4;
    o.count = 2;
    Counters with, without;
    o.neuron_counts = true;
    generate_batch(e, o, out.data(), nullptr, &with);
    o.neuron_counts = false;
    generate_batch(e, o, out.data(), nullptr, &without);
    // A workspace counts while on; off empties the counts and stops
    // counting; on again starts from zero.
    Workspace ws(e);
    ws.set_neuron_counts(true);
    ws.generate(ChoiceSource(4, 0, I.k, I.latent_dim), out.data());
    const LayerCounters& f = ws.counters().layers[m.topology().final0];
    CHECK(f.spikes > 0);
    CHECK(std::accumulate(f.neuron_spikes.begin(), f.neuron_spikes.end(), uint64_t(0)) == f.spikes);
    ws.set_neuron_counts(false);
    CHECK(f.neuron_spikes.empty());
    ws.generate(ChoiceSource(4, 1, I.k, I.latent_dim), out.data());
    ws.set_neuron_counts(true);
    for (size_t li = 0; li < m.layers().size(); ++li) {
        const LayerSpec& s = m.layer(li).spec;
        INFO(s.name);
        CHECK(with.layers[li].neuron_spikes.size() == (s.spiking ? s.out.size() : 0u));
        CHECK(without.layers[li].neuron_spikes.empty());
        CHECK(without.layers[li].spikes == with.layers[li].spikes);
        CHECK(without.layers[li].synaptic_ops == with.layers[li].synaptic_ops);
        CHECK(without.layers[li].spikes_per_step == with.layers[li].spikes_per_step);
        CHECK(ws.counters().layers[li].spikes == with.layers[li].spikes);
        CHECK(ws.counters().layers[li].neuron_spikes.size() == (s.spiking ? s.out.size() : 0u));
        for (uint32_t v : ws.counters().layers[li].neuron_spikes) CHECK(v == 0u);
    }
    CHECK(without.latent_ones == with.latent_ones);
}

TEST_CASE("neuron counts: the sampler's choices, counted") {
    Engine e(bundled_model());
    const ModelInfo& I = e.model().info();
    Workspace ws(e);
    std::vector<float> out(I.image_size());
    std::vector<uint64_t> want(I.k, 0);
    std::vector<uint32_t> r(I.latent_dim);
    for (uint64_t i = 0; i < 3; ++i) {
        const ChoiceSource src(11, i, I.k, I.latent_dim);
        ws.generate(src, out.data());
        for (uint32_t t = 0; t < I.time_steps; ++t) {
            src.choices(t, r.data());
            for (uint32_t v : r) ++want[v];
        }
    }
    CHECK(ws.counters().choices == want);
}

TEST_CASE("neuron counts: independent of threads and of splitting a layer into parts") {
    Engine e(bundled_model());
    const Model& m = e.model();
    const ModelInfo& I = m.info();
    const size_t n = 4;
    std::vector<float> in = test_images(I, n), out(n * I.image_size());
    for (Mode mode : {Mode::Generate, Mode::Reconstruct}) {
        INFO((mode == Mode::Generate ? "generate" : "reconstruct"));
        // One workspace, one thread, image by image: the plain step loop.
        Workspace plain(e), split(e);
        plain.set_neuron_counts(true);
        split.set_neuron_counts(true);
        split.set_threads(4);  // layers split by output parts
        for (size_t i = 0; i < n; ++i) {
            const ChoiceSource src(7, i, I.k, I.latent_dim);
            if (mode == Mode::Generate) {
                plain.generate(src, out.data());
                split.generate(src, out.data());
            } else {
                plain.reconstruct(in.data() + i * I.image_size(), src, out.data());
                split.reconstruct(in.data() + i * I.image_size(), src, out.data());
            }
        }
        check_same(plain.counters(), split.counters(), m);
        // Batches: per-thread workspaces merged, and fewer images than
        // threads (one image at a time, split).
        for (int threads : {1, 3, 8}) {
            INFO("threads " << threads);
            BatchOptions o;
            o.seed = 7;
            o.count = n;
            o.threads = threads;
            o.neuron_counts = true;
            Counters c;
            if (mode == Mode::Generate)
                generate_batch(e, o, out.data(), nullptr, &c);
            else
                reconstruct_batch(e, o, in.data(), out.data(), nullptr, &c);
            check_same(plain.counters(), c, m);
        }
        plain.clear_counters();
        for (size_t li = 0; li < m.layers().size(); ++li) {
            const LayerCounters& L = plain.counters().layers[li];
            CHECK(L.neuron_spikes.size() == (m.layer(li).spec.spiking ? m.layer(li).spec.out.size() : 0u));
            for (uint64_t v : L.neuron_spikes) CHECK(v == 0u);
        }
        for (uint64_t v : plain.counters().choices) CHECK(v == 0u);
    }
}

TEST_CASE("neuron counts: per-image figures agree with the traces, for any thread count") {
    Engine e(bundled_model());
    const Model& m = e.model();
    const ModelInfo& I = m.info();
    const size_t n = 5, L = m.layers().size();
    std::vector<float> in = test_images(I, n), out(n * I.image_size());
    for (Mode mode : {Mode::Generate, Mode::Reconstruct}) {
        Counters first;
        for (int threads : {1, 2, 8}) {
            BatchOptions o;
            o.seed = 2;
            o.count = n;
            o.threads = threads;
            o.image_figures = true;
            Counters c;
            std::vector<ImageTrace> traces;
            if (mode == Mode::Generate)
                generate_batch(e, o, out.data(), &traces, &c);
            else
                reconstruct_batch(e, o, in.data(), out.data(), &traces, &c);
            REQUIRE(c.image_spikes.size() == n * L);
            REQUIRE(c.image_ops.size() == n * L);
            for (size_t li = 0; li < L; ++li) {
                INFO(m.layer(li).spec.name << ", threads " << threads);
                uint64_t ops = 0;
                for (size_t i = 0; i < n; ++i) {
                    uint64_t sp = 0;
                    for (uint32_t t = 0; t < I.time_steps; ++t) sp += traces[i].spikes[li * I.time_steps + t];
                    CHECK(c.image_spikes[i * L + li] == sp);
                    ops += c.image_ops[i * L + li];
                }
                CHECK(ops == c.layers[li].synaptic_ops);
            }
            if (threads == 1) {
                first = c;
            } else {
                CHECK(c.image_spikes == first.image_spikes);
                CHECK(c.image_ops == first.image_ops);
            }
        }
    }
}
