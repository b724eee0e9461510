/* fsvae.h: the C API of fsvae-rt, the event-driven runtime for Fully Spiking
 * VAEs. This header and fsvae.hpp (a header-only C++ wrapper over it) are the
 * whole public surface: two opaque handles, one status enum, plain structs.
 * It compiles as C99 and C++, and names no type of the runtime's dependencies.
 *
 * Handles and their lifetimes
 *   fsvae_model    a loaded, validated, immutable model (weights read in place).
 *                  Any number of threads may use one model at the same time.
 *   fsvae_session  one image's running state (membranes, readout, counters)
 *                  plus the session's options. One thread at a time; sessions
 *                  are independent of each other, even on one model.
 *   A session keeps its model alive: fsvae_model_free() may be called while
 *   sessions made from the model still exist; the memory goes with the last.
 *
 * Errors
 *   Every function that can fail returns an fsvae_status. No C++ exception
 *   crosses this boundary (out-of-memory included: FSVAE_ERROR_OUT_OF_MEMORY).
 *   A failing call stores a one-line message for its thread
 *   (fsvae_last_error()) and, when it was given a valid session, in that
 *   session too (fsvae_session_last_error()).
 *
 * Versioned structs
 *   fsvae_model_info and fsvae_session_options begin with struct_size, which
 *   the caller sets to the size of the struct as its header declares it:
 *   FSVAE_MODEL_INFO_INIT and FSVAE_SESSION_OPTIONS_INIT do, or
 *   `x.struct_size = sizeof x`. Later versions only append fields, so the
 *   size tells the library which fields the caller's struct has:
 *   - below the first version's size (0 included: a zero-filled struct still
 *     needs its size) is FSVAE_ERROR_INVALID_ARGUMENT, and nothing is written;
 *   - larger (a program built against a newer header): the library reads and
 *     writes only the fields it knows and leaves the bytes after them as they
 *     are. An option it does not know is not applied, so a program relying on
 *     a newer option checks fsvae_version() first.
 *   Between versions the library accepts every size from the first
 *   version's upward; the 0.1 sizes are those of the structs below.
 *
 * Images are float C x H x W (channel planes, row-major) in [-1, 1].
 * Image i of a seed depends only on (seed, i): the same bytes for any thread
 * count, batch size, session or call order.
 */
#ifndef FSVAE_FSVAE_H
#define FSVAE_FSVAE_H

#include <stddef.h>
#include <stdint.h>

/* Shared library: only the symbols marked FSVAE_API are exported.
 * Windows consumers of the static library define FSVAE_STATIC. */
#if defined(_WIN32)
#  if defined(FSVAE_BUILDING)
#    define FSVAE_API __declspec(dllexport)
#  elif defined(FSVAE_STATIC)
#    define FSVAE_API
#  else
#    define FSVAE_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define FSVAE_API __attribute__((visibility("default")))
#else
#  define FSVAE_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this header; fsvae_version() gives the library's. */
#define FSVAE_VERSION_MAJOR 0
#define FSVAE_VERSION_MINOR 1
#define FSVAE_VERSION_PATCH 0

typedef enum fsvae_status {
    FSVAE_OK = 0,
    /* Not an error: fsvae_step() found all T steps already run. */
    FSVAE_END = 1,
    /* A null pointer, a buffer too small for what was asked or misaligned,
     * an index range that overflows, an image value outside [-1, 1]. */
    FSVAE_ERROR_INVALID_ARGUMENT = 2,
    /* The model file cannot be opened or read. */
    FSVAE_ERROR_IO = 3,
    /* The bytes are not a valid model: empty, truncated, corrupted, another
     * format or schema version, shapes that do not fit the architecture,
     * non-finite weights. */
    FSVAE_ERROR_INVALID_MODEL = 4,
    FSVAE_ERROR_OUT_OF_MEMORY = 5,
    /* The call does not fit the session's state (fsvae_step() or
     * fsvae_read_image() before any fsvae_begin_*()). */
    FSVAE_ERROR_BAD_STATE = 6,
    /* A failure the runtime did not foresee; the message says what. */
    FSVAE_ERROR_INTERNAL = 7
} fsvae_status;

typedef struct fsvae_model fsvae_model;
typedef struct fsvae_session fsvae_session;

/* ---- status and errors ------------------------------------------------ */

/* A fixed English name for a status ("invalid argument", ...); "unknown
 * status" for any other value. Static storage: never freed. Thread-safe. */
FSVAE_API const char* fsvae_status_string(fsvae_status status);

/* The message of the last failed call made by this thread (thread-local), or
 * "" if none failed yet. The only way to learn why fsvae_model_load_*() or
 * fsvae_session_create() failed. Owned by the library; valid until this
 * thread's next failing call. Successful calls leave it as it is. */
FSVAE_API const char* fsvae_last_error(void);

/* The library's version, "MAJOR.MINOR.PATCH". Static storage. Thread-safe. */
FSVAE_API const char* fsvae_version(void);

/* ---- models ----------------------------------------------------------- */

/* Reads and validates the model file at `path` (UTF-8 / native path) and
 * stores a new handle in *out. On failure *out is set to NULL.
 * Ownership: the caller owns *out and frees it with fsvae_model_free().
 * Thread-safe: any thread, concurrently with anything. */
FSVAE_API fsvae_status fsvae_model_load_file(const char* path, fsvae_model** out);

/* Validates a model held in memory, WITHOUT copying it: the weights are read
 * in place from `data` for as long as the model or any session made from it
 * exists. The CALLER KEEPS the buffer alive and unchanged until the model and
 * all its sessions are freed. `data` must be aligned to 8 bytes (malloc and
 * new give that; else FSVAE_ERROR_INVALID_ARGUMENT). On failure *out is set
 * to NULL.
 * Ownership: the caller owns *out (fsvae_model_free()) and still owns data.
 * Thread-safe: any thread, concurrently with anything. */
FSVAE_API fsvae_status fsvae_model_load_buffer(const void* data, size_t size,
                                               fsvae_model** out);

/* Releases the caller's handle; NULL is a no-op. Sessions made from the model
 * keep it alive until they are freed.
 * Thread-safe: once no other call on this handle is in progress. */
FSVAE_API void fsvae_model_free(fsvae_model* model);

typedef struct fsvae_model_info {
    size_t struct_size;   /* set by the caller: sizeof(fsvae_model_info) */
    uint32_t time_steps;  /* T: steps per image */
    uint32_t k;           /* neurons per latent variable; one is sampled per step */
    uint32_t latent_dim;  /* latent variables */
    uint32_t channels;    /* image C */
    uint32_t height;      /* image H */
    uint32_t width;       /* image W */
    uint32_t layer_count; /* layers; counters are reported per layer */
    size_t image_floats;  /* C * H * W: floats per image */
    size_t model_bytes;   /* size of the model's bytes (file or buffer) */
    /* Strings owned by the model, valid while it (or a session on it) lives. */
    const char* variant;  /* "FSVAE" (32x32) or "FSVAELarge" (64x64) */
    const char* dataset;  /* as recorded by the exporter; may be "" */
    const char* isa;      /* kernel table in use: "scalar", "sse2", "avx2", "avx512", "neon64" */
} fsvae_model_info;

/* An fsvae_model_info with its size set and every field zero. */
#define FSVAE_MODEL_INFO_INIT \
    { sizeof(fsvae_model_info), 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL }

/* Fills the fields of *out that out->struct_size covers (see "Versioned
 * structs"; struct_size itself is left as it is). Thread-safe: any thread,
 * concurrently. */
FSVAE_API fsvae_status fsvae_model_get_info(const fsvae_model* model, fsvae_model_info* out);

/* ---- sessions --------------------------------------------------------- */

/* Options of a session: FSVAE_SESSION_OPTIONS_INIT gives the defaults. */
typedef struct fsvae_session_options {
    size_t struct_size;  /* set by the caller: sizeof(fsvae_session_options) */
    /* Threads for fsvae_generate() and fsvae_reconstruct() batches:
     * 0 = every core (oneTBB), 1 = the calling thread only, n = up to n.
     * The step-by-step calls always run on the calling thread. */
    uint32_t threads;
    /* Seed of the latent sampler; image i depends only on (seed, i). */
    uint64_t seed;
} fsvae_session_options;

/* An fsvae_session_options with its size set and the default options. */
#define FSVAE_SESSION_OPTIONS_INIT { sizeof(fsvae_session_options), 0, 0 }

/* Creates a session on `model` (options NULL: defaults; else its
 * struct_size must be set, see "Versioned structs") and stores it in *out
 * (NULL on failure). It allocates the session's state once, here;
 * later calls do not grow it (beyond batch scratch with threads != 1).
 * Ownership: the caller owns *out (fsvae_session_free()); the session holds
 * a reference to the model. The model handle is only read.
 * Thread-safe: any thread, concurrently with other calls on the model. */
FSVAE_API fsvae_status fsvae_session_create(const fsvae_model* model,
                                            const fsvae_session_options* options,
                                            fsvae_session** out);

/* Frees the session (and the model, if this was its last reference).
 * NULL is a no-op. Ownership: the handle is invalid afterwards.
 * Thread: session thread (no other call on this session in progress). */
FSVAE_API void fsvae_session_free(fsvae_session* session);

/* The message of the last failed call on this session, or "" if none (or
 * if session is NULL). Ownership: the session's; valid until its next
 * failing call or its free. Thread: session thread. */
FSVAE_API const char* fsvae_session_last_error(const fsvae_session* session);

/* The calls below take a session. "Session thread" means: one thread at a
 * time per session, any thread; different sessions run concurrently, on one
 * model or not. Buffers are owned by the caller and not retained after the
 * call; `*_floats` arguments give their sizes in floats and must be at least
 * what is read or written, else FSVAE_ERROR_INVALID_ARGUMENT and nothing is
 * written. A batch call ends any step-by-step run in progress. */

/* Generates images first_index .. first_index + count - 1 into `out`
 * (count x C x H x W floats). count 0 does nothing (out may be NULL).
 * Ownership: out is the caller's. Thread: session thread; with
 * options.threads != 1 the call itself uses oneTBB workers and returns when
 * they are done. */
FSVAE_API fsvae_status fsvae_generate(fsvae_session* session, uint64_t first_index,
                                      size_t count, float* out, size_t out_floats);

/* Reconstructs `count` images (count x C x H x W floats in [-1, 1]) into
 * `out` (same size); image i uses sampler index first_index + i.
 * Ownership: both buffers are the caller's; images is only read, during the
 * call. Thread: as fsvae_generate(). */
FSVAE_API fsvae_status fsvae_reconstruct(fsvae_session* session, uint64_t first_index,
                                         size_t count, const float* images,
                                         size_t images_floats, float* out,
                                         size_t out_floats);

/* Decodes `count` given latent trains into images: z holds count x T x
 * latent_dim bytes, each 0 or 1 (image i's z_t[c] at [(i * T + t) *
 * latent_dim + c]), out count x C x H x W floats. It is generation's decoder
 * and readout on each step's z taken from z (no prior or sampler runs, for
 * any sampler kind), so decoding the trains an image sampled gives that
 * image; the seed is not used. Any other byte value is
 * FSVAE_ERROR_INVALID_ARGUMENT and nothing is written. Counters count the
 * decoder only. Ownership: both buffers are the caller's.
 * Thread: as fsvae_generate(). */
FSVAE_API fsvae_status fsvae_decode(fsvae_session* session, size_t count, const uint8_t* z,
                                    size_t z_bytes, float* out, size_t out_floats);

/* Step by step, on the calling thread: begin, then fsvae_step() once per
 * time step, fsvae_read_image() at any point for the image so far (it
 * sharpens as steps accumulate; after T steps it equals what
 * fsvae_generate() / fsvae_reconstruct() give for that index).
 *
 * Starts generating image `index`. Thread: session thread. */
FSVAE_API fsvae_status fsvae_begin_generate(fsvae_session* session, uint64_t index);

/* Starts reconstructing `image` (C x H x W floats), sampler index `index`.
 * Ownership: the image is the caller's, read during this call only.
 * Thread: session thread. */
FSVAE_API fsvae_status fsvae_begin_reconstruct(fsvae_session* session, uint64_t index,
                                               const float* image, size_t image_floats);

/* Runs the next time step: FSVAE_OK when it ran, FSVAE_END when all T steps
 * had already run (nothing done; not an error), FSVAE_ERROR_BAD_STATE with
 * no begin. So: while (fsvae_step(s) == FSVAE_OK) { ... }
 * Thread: session thread; no allocation. */
FSVAE_API fsvae_status fsvae_step(fsvae_session* session);

/* Steps run since the last begin (0 .. T) into *out (caller-owned).
 * Thread: session thread. */
FSVAE_API fsvae_status fsvae_steps_done(const fsvae_session* session, uint32_t* out);

/* The image so far (C x H x W floats) into out; FSVAE_ERROR_BAD_STATE with
 * no begin. The session is not const: before the last step the image is
 * formed in the session's own buffers (and a failure stores its message).
 * Ownership: out is the caller's. Thread: session thread. */
FSVAE_API fsvae_status fsvae_read_image(fsvae_session* session, float* out,
                                        size_t out_floats);

/* The latent train of the step-by-step image: T x latent_dim bytes, 0 or 1
 * (z_t[c] at [t * latent_dim + c]); the steps not run yet are 0. After T
 * steps, fsvae_decode() of it gives the image. FSVAE_ERROR_BAD_STATE with
 * no begin. Ownership: out is the caller's. Thread: session thread. */
FSVAE_API fsvae_status fsvae_read_latents(fsvae_session* session, uint8_t* out,
                                          size_t out_bytes);

/* ---- sparsity counters ------------------------------------------------ */

/* Totals over every image run on the session since creation or the last
 * fsvae_clear_counters(), whatever the call (batch or step by step). */
typedef struct fsvae_counters {
    uint64_t images;         /* images begun */
    uint64_t latent_spikes;  /* ones in the sampled latent z, all images and steps */
    uint32_t layer_count;    /* layers the model has (always set) */
} fsvae_counters;

/* One layer's counters. A layer the mode does not run (the encoder, when
 * generating) reports zeros. Firing rate = spikes / (neurons * steps). */
typedef struct fsvae_layer_counters {
    const char* name;       /* layer name, owned by the model (lives as long as it) */
    uint64_t neurons;       /* output neurons (C x H x W of the layer's output) */
    uint64_t spikes;        /* output spikes (0 for the non-spiking readout layer) */
    uint64_t events;        /* input events received (input pixels, for the image) */
    uint64_t synaptic_ops;  /* float additions into membranes: rows added x row length */
    uint64_t dense_macs;    /* multiply-accumulates a dense run of the same steps needs */
    uint64_t steps;         /* layer-steps run (images x T) */
} fsvae_layer_counters;

/* Reads the counters into *totals and layers[0 .. layer_count) (in model
 * order). `layers` may be NULL with layer_capacity 0 to learn layer_count
 * alone; otherwise layer_capacity must be at least layer_count.
 * Ownership: caller-owned structs, filled and not retained; the `name`
 * strings in them belong to the model. The session is not const (a failure
 * stores its message). Thread: session thread. */
FSVAE_API fsvae_status fsvae_read_counters(fsvae_session* session,
                                           fsvae_counters* totals,
                                           fsvae_layer_counters* layers,
                                           size_t layer_capacity);

/* Zeroes the session's counters. Thread: session thread. */
FSVAE_API fsvae_status fsvae_clear_counters(fsvae_session* session);

#ifdef __cplusplus
}
#endif

#endif /* FSVAE_FSVAE_H */
