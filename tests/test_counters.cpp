// Counters: consistent with the per-image traces, independent of the thread
// count, and the dense operation counts of the published architecture.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "../runtime/propagate.hpp"
#include "support.hpp"

using namespace fsvae;
using namespace fsvae::test;

TEST_CASE("counters: dense MACs per step of the FSVAE layers") {
    auto m = bundled_model();
    const Topology& t = m->topology();
    CHECK(dense_macs_per_step(m->layer(t.prior[2]).spec) == 512u * 2560u);
    // 2x2 -> 4x4, stride 2, padding 1: 2 + 3 valid taps per axis.
    CHECK(dense_macs_per_step(m->layer(t.decoder[0]).spec) == 25u * 256u * 128u);
    // 16x16 -> 32x32: 2 + 15 * 3 = 47 valid taps per axis.
    CHECK(dense_macs_per_step(m->layer(t.final0).spec) == 47u * 47u * 32u * 32u);
    // 32x32 stride 1, padding 1: 2 + 30 * 3 + 2 = 94 per axis.
    CHECK(dense_macs_per_step(m->layer(t.final1).spec) == 94u * 94u * 32u);
    // encoder.1, 16x16 -> 8x8 stride 2: per axis output 0 sees 2 taps, others 3: 2 + 7 * 3 = 23.
    CHECK(dense_macs_per_step(m->layer(t.encoder[1]).spec) == 23u * 23u * 32u * 64u);
}

TEST_CASE("counters: with every input firing, a layer's synaptic ops are its dense MACs") {
    // A transposed convolution counts each event's taps inside the output
    // (and the parts of a split layer the taps inside theirs), a linear
    // layer whole rows: at rate 1 both are the dense count.
    auto m = bundled_model();
    const kernels::KernelTable& K = kernels::scalar_kernels();
    for (size_t li : Engine(m).spiking_layers(Mode::Generate)) {
        const Layer& L = m->layer(li);
        const LayerSpec& s = L.spec;
        INFO(s.name);
        std::vector<uint32_t> events(s.in.size());
        for (size_t i = 0; i < events.size(); ++i) events[i] = uint32_t(i);
        std::vector<uint32_t> dst(max_pairs(s, false)), src(dst.size()), len(dst.size()), chan(s.in.c);
        std::vector<float> scale(dst.size()), target(s.out.size());
        const PairScratch sc{dst.data(), src.data(), len.data(), scale.data(), chan.data()};
        CHECK(propagate_events(L, K, events.data(), events.size(), target.data(), sc) ==
              dense_macs_per_step(s));
        OutputPart part[3];
        uint64_t ops = 0;
        for (size_t k = 0, n = split_output(s, 3, part); k < n; ++k)
            ops += propagate_events(L, K, events.data(), events.size(), target.data(), sc, part[k]);
        CHECK(ops == dense_macs_per_step(s));
    }
}

TEST_CASE("counters: agree with traces and do not depend on threads") {
    Engine e(bundled_model());
    const ModelInfo& I = e.model().info();
    std::vector<float> out(6 * I.image_size());
    BatchOptions o;
    o.seed = 9;
    o.count = 6;
    // Traced images run every neuron, so these counts are the full model's.
    Counters one, two;
    std::vector<ImageTrace> traces, traces2;
    o.threads = 1;
    generate_batch(e, o, out.data(), &traces, &one);
    o.threads = 2;
    generate_batch(e, o, out.data(), &traces2, &two);
    CHECK(one.images == 6);
    CHECK(two.images == 6);
    CHECK(one.latent_spikes == two.latent_spikes);
    uint64_t z = 0;
    for (const auto& tr : traces)
        for (uint8_t b : tr.z) z += b;
    CHECK(one.latent_spikes == z);
    for (size_t li = 0; li < one.layers.size(); ++li) {
        const LayerCounters &a = one.layers[li], &b = two.layers[li];
        INFO(e.model().layer(li).spec.name);
        CHECK(a.spikes == b.spikes);
        CHECK(a.events == b.events);
        CHECK(a.synaptic_ops == b.synaptic_ops);
        CHECK(a.dense_macs == b.dense_macs);
        CHECK(a.spikes_per_step == b.spikes_per_step);
        uint64_t from_traces = 0;
        for (const auto& tr : traces)
            for (uint32_t t = 0; t < I.time_steps; ++t) from_traces += tr.spikes[li * I.time_steps + t];
        CHECK(a.spikes == from_traces);
        CHECK(a.seconds == 0.0);  // timing is off unless asked for
    }
    for (size_t li : e.layers(Mode::Generate)) CHECK(one.layers[li].steps == 6u * I.time_steps);
    for (size_t li : e.model().topology().encoder) CHECK(one.layers[li].steps == 0u);
}

TEST_CASE("counters: step-by-step generation equals the one-call path") {
    Engine e(bundled_model());
    const ModelInfo& I = e.model().info();
    const size_t n = I.image_size();
    Workspace a(e), b(e), c(e);
    std::vector<float> whole(n), stepped(n), once(n);
    std::vector<std::vector<float>> partial(I.time_steps, std::vector<float>(n));
    a.generate(ChoiceSource(4, 2, I.k, I.latent_dim), whole.data());
    b.begin(Mode::Generate, ChoiceSource(4, 2, I.k, I.latent_dim));
    uint32_t steps = 0;
    while (b.step()) {
        ++steps;
        CHECK(b.steps_done() == steps);
        b.read_image(partial[steps - 1].data());
    }
    CHECK(steps == I.time_steps);
    CHECK(!b.step());
    b.read_image(stepped.data());
    // Reading the image at every step changes nothing in the end.
    CHECK(whole == stepped);
    // Each read shows the steps run so far, not a stale readout: a workspace
    // stepped to t and read once agrees with the one read at every step, and
    // the early images differ from the final one.
    for (uint32_t t : {1u, I.time_steps / 2, I.time_steps - 1}) {
        CAPTURE(t);
        c.begin(Mode::Generate, ChoiceSource(4, 2, I.k, I.latent_dim));
        for (uint32_t s = 0; s < t; ++s) REQUIRE(c.step());
        c.read_image(once.data());
        CHECK(once == partial[t - 1]);
        CHECK(once != whole);
    }
    CHECK(partial[I.time_steps - 1] == whole);
}
