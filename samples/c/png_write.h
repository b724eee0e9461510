/* png_write.h: a minimal 8-bit PNG writer (gray or RGB, stored deflate
 * blocks, no compression), so the sample needs nothing but libc. */
#ifndef PNG_WRITE_H
#define PNG_WRITE_H

#include <stddef.h>

/* Writes width x height pixels of `channels` (1 gray, 3 RGB) interleaved
 * bytes, row-major, to path. Returns 0 on success, -1 on an I/O error. */
int png_write(const char* path, const unsigned char* pixels, size_t width, size_t height,
              int channels);

#endif
