/* png_write.c: PNG = signature + IHDR + IDAT (zlib stream of "stored"
 * deflate blocks: the filter-0 scanlines verbatim) + IEND, each chunk with
 * its CRC-32; the zlib stream ends with the Adler-32 of the raw data. */
#include "png_write.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t crc_table[256];

static void crc_init(void) {
    uint32_t n, c;
    int k;
    for (n = 0; n < 256; ++n) {
        c = n;
        for (k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static uint32_t crc_update(uint32_t crc, const unsigned char* p, size_t n) {
    while (n--) crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

static void put32(unsigned char* p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static int chunk(FILE* f, const char* type, const unsigned char* data, size_t n) {
    unsigned char head[8], tail[4];
    uint32_t crc;
    put32(head, (uint32_t)n);
    memcpy(head + 4, type, 4);
    crc = crc_update(0xffffffffu, head + 4, 4);
    crc = crc_update(crc, data, n) ^ 0xffffffffu;
    put32(tail, crc);
    return fwrite(head, 1, 8, f) == 8 && (n == 0 || fwrite(data, 1, n, f) == n) &&
                   fwrite(tail, 1, 4, f) == 4
               ? 0
               : -1;
}

int png_write(const char* path, const unsigned char* pixels, size_t width, size_t height,
              int channels) {
    static const unsigned char signature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
    const size_t row = width * (size_t)channels + 1; /* filter byte + pixels */
    const size_t raw_size = row * height;
    const size_t blocks = (raw_size + 65534) / 65535;
    unsigned char ihdr[13];
    unsigned char *raw, *z, *q;
    size_t y, off, zsize;
    uint32_t a = 1, b = 0;
    FILE* f;
    int rc;

    crc_init();
    raw = (unsigned char*)malloc(raw_size);
    zsize = 2 + raw_size + 5 * blocks + 4;
    z = (unsigned char*)malloc(zsize);
    if (!raw || !z) {
        free(raw);
        free(z);
        return -1;
    }
    for (y = 0; y < height; ++y) {
        raw[y * row] = 0;
        memcpy(raw + y * row + 1, pixels + y * (row - 1), row - 1);
    }
    q = z;
    *q++ = 0x78; /* zlib header: deflate, 32K window, no preset dictionary */
    *q++ = 0x01;
    for (off = 0; off < raw_size; off += 65535) {
        const size_t len = raw_size - off < 65535 ? raw_size - off : 65535;
        *q++ = off + len == raw_size ? 1 : 0; /* BFINAL on the last block; BTYPE 00 stored */
        *q++ = (unsigned char)(len & 0xff);
        *q++ = (unsigned char)(len >> 8);
        *q++ = (unsigned char)(~len & 0xff);
        *q++ = (unsigned char)((~len >> 8) & 0xff);
        memcpy(q, raw + off, len);
        q += len;
    }
    for (off = 0; off < raw_size; ++off) {
        a = (a + raw[off]) % 65521;
        b = (b + a) % 65521;
    }
    put32(q, (b << 16) | a);

    put32(ihdr, (uint32_t)width);
    put32(ihdr + 4, (uint32_t)height);
    ihdr[8] = 8;                           /* bit depth */
    ihdr[9] = channels == 3 ? 2 : 0;       /* color type: RGB or gray */
    ihdr[10] = ihdr[11] = ihdr[12] = 0;    /* deflate, adaptive filtering, no interlace */

    f = fopen(path, "wb");
    rc = -1;
    if (f) {
        rc = fwrite(signature, 1, 8, f) == 8 && chunk(f, "IHDR", ihdr, 13) == 0 &&
                     chunk(f, "IDAT", z, zsize) == 0 && chunk(f, "IEND", NULL, 0) == 0
                 ? 0
                 : -1;
        if (fclose(f) != 0) rc = -1;
    }
    free(raw);
    free(z);
    return rc;
}
