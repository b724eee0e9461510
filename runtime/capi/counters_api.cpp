// counters_api.cpp: a session's sparsity counters, read into caller structs.
// They are the sum of the session's workspace (serial batches and step-by-step
// runs) and of the multi-threaded batches' own workspaces.
#include "handles.hpp"

using fsvae::capi::fail;

extern "C" {

fsvae_status fsvae_read_counters(fsvae_session* s, fsvae_counters* totals,
                                 fsvae_layer_counters* layers, size_t capacity) {
    if (!s) return fail(nullptr, FSVAE_ERROR_INVALID_ARGUMENT, "fsvae_read_counters: session is NULL");
    if (!totals)
        return fail(s, FSVAE_ERROR_INVALID_ARGUMENT, "fsvae_read_counters: totals is NULL");
    const fsvae::Model& m = s->engine->model();
    const size_t n = m.layers().size();
    if (capacity > 0 && !layers)
        return fail(s, FSVAE_ERROR_INVALID_ARGUMENT,
                    "fsvae_read_counters: layers is NULL but layer_capacity is not 0");
    if (layers && capacity < n)
        return fail(s, FSVAE_ERROR_INVALID_ARGUMENT,
                    "fsvae_read_counters: layer_capacity is smaller than the model's layer count");
    const fsvae::Counters& a = s->ws.counters();
    const fsvae::Counters& b = s->batch;
    totals->images = a.images + b.images;
    totals->latent_spikes = a.latent_spikes + b.latent_spikes;
    totals->layer_count = uint32_t(n);
    if (!layers) return FSVAE_OK;
    for (size_t i = 0; i < n; ++i) {
        const fsvae::LayerCounters& x = a.layers[i];
        const fsvae::LayerCounters& y = b.layers[i];
        fsvae_layer_counters& o = layers[i];
        o.name = m.layer(i).spec.name.c_str();
        o.neurons = m.layer(i).spec.out.size();
        o.spikes = x.spikes + y.spikes;
        o.events = x.events + y.events;
        o.synaptic_ops = x.synaptic_ops + y.synaptic_ops;
        o.dense_macs = x.dense_macs + y.dense_macs;
        o.steps = x.steps + y.steps;
    }
    return FSVAE_OK;
}

fsvae_status fsvae_clear_counters(fsvae_session* s) {
    if (!s) return fail(nullptr, FSVAE_ERROR_INVALID_ARGUMENT, "fsvae_clear_counters: session is NULL");
    // clear() re-sizes the per-step vectors, which may allocate.
    return fsvae::capi::guarded(s, FSVAE_ERROR_INTERNAL, [&] {
        s->ws.clear_counters();
        s->batch.clear();
        return FSVAE_OK;
    });
}

}  // extern "C"
