/* footprint.c: what the library costs in memory, measured by the program
 * itself (run by scripts/footprint.sh). Heap bytes come from glibc's
 * mallinfo2() (bytes in use, arena plus mmapped blocks) before and after
 * each step; RSS from /proc/self/statm.
 *
 *   footprint MODEL */
#define _GNU_SOURCE
#include <fsvae/fsvae.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static long long heap_bytes(void) {
    struct mallinfo2 m = mallinfo2();
    return (long long)(m.uordblks + m.hblkhd);
}

static long long rss_bytes(void) {
    long long size = 0, resident = 0;
    FILE* f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lld %lld", &size, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * sysconf(_SC_PAGESIZE);
}

#define SESSIONS 16

int main(int argc, char** argv) {
    fsvae_model* model = NULL;
    fsvae_session* sessions[SESSIONS];
    fsvae_session_options one = FSVAE_SESSION_OPTIONS_INIT, all = FSVAE_SESSION_OPTIONS_INIT;
    fsvae_model_info info = FSVAE_MODEL_INFO_INIT;
    long long h0, r0, h1, r1;
    float* images;
    int i;

    one.threads = 1;
    if (argc != 2) {
        fprintf(stderr, "usage: footprint MODEL\n");
        return 2;
    }
    h0 = heap_bytes();
    r0 = rss_bytes();
    if (fsvae_model_load_file(argv[1], &model) != FSVAE_OK) {
        fprintf(stderr, "footprint: %s\n", fsvae_last_error());
        return 1;
    }
    fsvae_model_get_info(model, &info);
    printf("model file                 %10zu bytes\n", info.model_bytes);
    printf("model loaded: heap         %10lld bytes (file bytes + layer table + engine tables)\n",
           heap_bytes() - h0);
    printf("model loaded: RSS          %10lld bytes\n", rss_bytes() - r0);

    h1 = heap_bytes();
    r1 = rss_bytes();
    for (i = 0; i < SESSIONS; ++i)
        if (fsvae_session_create(model, &one, &sessions[i]) != FSVAE_OK) return 1;
    printf("per session: heap          %10lld bytes (mean of %d)\n", (heap_bytes() - h1) / SESSIONS,
           SESSIONS);
    printf("per session: RSS           %10lld bytes (mean of %d, after creation)\n",
           (rss_bytes() - r1) / SESSIONS, SESSIONS);

    images = (float*)malloc(8 * info.image_floats * sizeof(float));
    if (!images) return 1;
    h1 = heap_bytes();
    for (i = 0; i < SESSIONS; ++i)
        if (fsvae_generate(sessions[i], (unsigned)i, 1, images, info.image_floats) != FSVAE_OK) return 1;
    printf("generate, threads=1: heap  %10lld bytes more after %d images (state is allocated up front)\n",
           heap_bytes() - h1, SESSIONS);
    for (i = 0; i < SESSIONS; ++i) fsvae_session_free(sessions[i]);

    if (fsvae_session_create(model, &all, &sessions[0]) != FSVAE_OK) return 1;
    h1 = heap_bytes();
    if (fsvae_generate(sessions[0], 0, 8, images, 8 * info.image_floats) != FSVAE_OK) return 1;
    printf("generate, threads=0: heap  %10lld bytes more after a batch of 8 (oneTBB's pool)\n",
           heap_bytes() - h1);
    fsvae_session_free(sessions[0]);
    free(images);
    fsvae_model_free(model);
    printf("all freed: heap            %10lld bytes above the start\n", heap_bytes() - h0);
    return 0;
}
