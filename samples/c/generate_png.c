/* generate_png.c: the C API in a C program: load a model, create a session,
 * generate one image, write it as a PNG.
 *
 *   generate_png OUT.png [MODEL [SEED [INDEX]]]
 *
 * MODEL defaults to the bundled model installed with the package. Pixels map
 * [-1, 1] to 0..255 as (v + 1) / 2, like fsvae generate. */
#include <fsvae/fsvae.h>

#include <stdio.h>
#include <stdlib.h>

#include "png_write.h"

#ifndef FSVAE_SAMPLE_MODEL
#define FSVAE_SAMPLE_MODEL "fashion-mnist.fsvae"
#endif

static int fail(const char* what, fsvae_status s) {
    fprintf(stderr, "generate_png: %s: %s (%s)\n", what, fsvae_last_error(), fsvae_status_string(s));
    return 1;
}

int main(int argc, char** argv) {
    const char* out_path;
    const char* model_path = FSVAE_SAMPLE_MODEL;
    fsvae_session_options options = FSVAE_SESSION_OPTIONS_INIT;
    unsigned long long index = 0;
    fsvae_model* model = NULL;
    fsvae_session* session = NULL;
    fsvae_model_info info = FSVAE_MODEL_INFO_INIT;
    fsvae_status s;
    float* image;
    unsigned char* pixels;
    size_t p, c, hw;
    int rc = 1;

    if (argc < 2 || argc > 5) {
        fprintf(stderr, "usage: generate_png OUT.png [MODEL [SEED [INDEX]]]\n");
        return 2;
    }
    out_path = argv[1];
    if (argc > 2) model_path = argv[2];
    if (argc > 3) options.seed = strtoull(argv[3], NULL, 10);
    if (argc > 4) index = strtoull(argv[4], NULL, 10);
    options.threads = 1;

    if ((s = fsvae_model_load_file(model_path, &model)) != FSVAE_OK) return fail("load", s);
    fsvae_model_get_info(model, &info);
    s = fsvae_session_create(model, &options, &session);
    fsvae_model_free(model); /* the session holds the model from here */
    if (s != FSVAE_OK) return fail("session", s);

    hw = (size_t)info.height * info.width;
    image = (float*)malloc(info.image_floats * sizeof(float));
    pixels = (unsigned char*)malloc(info.image_floats);
    if (!image || !pixels) {
        fprintf(stderr, "generate_png: out of memory\n");
    } else if ((s = fsvae_generate(session, index, 1, image, info.image_floats)) != FSVAE_OK) {
        fail("generate", s);
    } else {
        /* C x H x W planes to interleaved H x W x C bytes. */
        for (p = 0; p < hw; ++p)
            for (c = 0; c < info.channels; ++c) {
                const float v = (image[c * hw + p] + 1.0f) * 0.5f * 255.0f + 0.5f;
                pixels[p * info.channels + c] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        if (png_write(out_path, pixels, info.width, info.height, (int)info.channels) != 0) {
            fprintf(stderr, "generate_png: cannot write %s\n", out_path);
        } else {
            printf("%s: %ux%u image %llu (seed %llu) from %s, kernels %s\n", out_path, info.width,
                   info.height, index, (unsigned long long)options.seed, model_path, info.isa);
            rc = 0;
        }
    }
    free(image);
    free(pixels);
    fsvae_session_free(session);
    return rc;
}
