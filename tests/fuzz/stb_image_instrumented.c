/* stb_image_instrumented.c: stb_image's decoder built into the fuzz targets
 * with their sanitizer and coverage flags. Its symbols take precedence over
 * the system libstb's, so the PNG fuzz target exercises, and ASan checks,
 * the decoder the runtime calls, not only the runtime's wrapper. */
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
