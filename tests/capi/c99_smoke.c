/* c99_smoke.c: a C99 consumer of include/fsvae/fsvae.h, compiled with
 * -std=c99 -Wall -Wextra -Werror -pedantic (so the header is checked as C)
 * and linked against the static library with the C++ driver. Loads the
 * model given as argv[1], generates one image step by step and as a batch,
 * and exits 0 when they agree. */
#include <fsvae/fsvae.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char* what, fsvae_status s) {
    fprintf(stderr, "c99_smoke: %s: %s: %s\n", what, fsvae_status_string(s), fsvae_last_error());
    return 1;
}

int main(int argc, char** argv) {
    fsvae_model* model = NULL;
    fsvae_session* session = NULL;
    fsvae_model_info info = FSVAE_MODEL_INFO_INIT;
    fsvae_session_options options = FSVAE_SESSION_OPTIONS_INIT;
    fsvae_counters totals;
    float* stepped;
    float* batch;
    fsvae_status s;
    int same;

    if (argc < 2) return fail("usage: c99_smoke MODEL", FSVAE_ERROR_INVALID_ARGUMENT);
    if ((s = fsvae_model_load_file(argv[1], &model)) != FSVAE_OK) return fail("load", s);
    if ((s = fsvae_model_get_info(model, &info)) != FSVAE_OK) return fail("info", s);
    options.threads = 1;
    options.seed = 7;
    if ((s = fsvae_session_create(model, &options, &session)) != FSVAE_OK) return fail("session", s);
    fsvae_model_free(model); /* the session keeps it alive */

    stepped = (float*)malloc(info.image_floats * sizeof(float));
    batch = (float*)malloc(info.image_floats * sizeof(float));
    if (!stepped || !batch) return 1;
    if ((s = fsvae_begin_generate(session, 3)) != FSVAE_OK) return fail("begin", s);
    while ((s = fsvae_step(session)) == FSVAE_OK) {
    }
    if (s != FSVAE_END) return fail("step", s);
    if ((s = fsvae_read_image(session, stepped, info.image_floats)) != FSVAE_OK) return fail("read", s);
    if ((s = fsvae_generate(session, 3, 1, batch, info.image_floats)) != FSVAE_OK) return fail("generate", s);
    if ((s = fsvae_read_counters(session, &totals, NULL, 0)) != FSVAE_OK) return fail("counters", s);
    same = memcmp(stepped, batch, info.image_floats * sizeof(float)) == 0;
    printf("c99_smoke: %s %ux%ux%u, T=%u, %u layers, isa %s, images %lu, same %d\n", info.variant,
           info.channels, info.height, info.width, info.time_steps, info.layer_count, info.isa,
           (unsigned long)totals.images, same);
    free(stepped);
    free(batch);
    fsvae_session_free(session);
    return same && totals.images == 2 ? 0 : 1;
}
