#!/usr/bin/env python3
"""make_image_seeds.py: writes the seed corpora of the image fuzz targets
(tests/fuzz/corpus/{idx,png,npy}/): small valid files of every variant each
reader handles, so fuzzing starts from inputs that reach deep into it.

Standard library only; the PNG encoder is written out here so that every
colour type, bit depth and Adam7 interlacing can be produced, which
stb_image_write (8-bit, not interlaced) cannot.

Usage: tests/fuzz/make_image_seeds.py [CORPUS_DIR]   (default: next to this file)
"""
import gzip
import os
import struct
import sys
import zlib


def pattern(n, salt=0):
    return bytes((i * 37 + salt * 11 + (i >> 3)) & 0xFF for i in range(n))


# ---- IDX ------------------------------------------------------------------

def idx(n, h, w, magic=0x803, pixels=None):
    body = pixels if pixels is not None else pattern(n * h * w, n + h)
    return struct.pack(">IIII", magic, n, h, w) + body


def idx_seeds():
    return {
        "two-4x4-idx3-ubyte": idx(2, 4, 4),
        "one-28x28-idx3-ubyte": idx(1, 28, 28),
        "one-40x9-idx3-ubyte": idx(1, 40, 9),
        "same-size-32x32-idx3-ubyte": idx(1, 32, 32),
        "three-6x5-idx3-ubyte.gz": gzip.compress(idx(3, 6, 5), mtime=0),
        "two-members-idx3-ubyte.gz": gzip.compress(idx(2, 3, 3)[:20], mtime=0)
        + gzip.compress(idx(2, 3, 3)[20:], mtime=0),
        "trailing-garbage-idx3-ubyte.gz": gzip.compress(idx(1, 2, 2), mtime=0) + b"junk",
        "labels-idx1-ubyte": struct.pack(">II", 0x801, 4) + bytes([1, 2, 3, 4]),
    }


# ---- PNG ------------------------------------------------------------------

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pack_row(samples, depth):
    """Samples (ints) of one row at `depth` bits, MSB first, padded to a byte."""
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    out, acc, bits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << depth) | s
        bits += depth
        if bits == 8:
            out.append(acc)
            acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


def png(w, h, color, depth, interlace=0, extra=b"", filt=0):
    ch = CHANNELS[color]
    top = (1 << depth) - 1

    def sample(x, y, c):
        return ((x * 7 + y * 13 + c * 5) * 29) % (top + 1)

    def rows(xs, ys):
        raw = b""
        for y in ys:
            samples = [sample(x, y, c) for x in xs for c in range(ch)]
            raw += bytes([filt]) + pack_row(samples, depth)
        return raw

    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            xs, ys = list(range(x0, w, dx)), list(range(y0, h, dy))
            if xs and ys:
                raw += rows(xs, ys)
    else:
        raw = rows(range(w), range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def png_seeds():
    palette = chunk(b"PLTE", bytes((i * 85) & 0xFF for i in range(3 * 4)))
    return {
        "gray8-5x7.png": png(5, 7, 0, 8),
        "gray1-9x3.png": png(9, 3, 0, 1),
        "gray2-5x5.png": png(5, 5, 0, 2),
        "gray4-3x4.png": png(3, 4, 0, 4),
        "gray16-4x4.png": png(4, 4, 0, 16),
        "gray-alpha8-6x4.png": png(6, 4, 4, 8),
        "gray-alpha16-3x3.png": png(3, 3, 4, 16),
        "rgb8-40x30.png": png(40, 30, 2, 8),
        "rgb16-4x3.png": png(4, 3, 2, 16),
        "rgba8-7x5.png": png(7, 5, 6, 8),
        "rgba16-2x2.png": png(2, 2, 6, 16),
        "palette2-6x6.png": png(6, 6, 3, 2, extra=palette),
        "palette-trns-4x4.png": png(4, 4, 3, 2, extra=palette + chunk(b"tRNS", b"\x00\x80")),
        "rgb-trns-3x3.png": png(3, 3, 2, 8, extra=chunk(b"tRNS", b"\x00\x01\x00\x02\x00\x03")),
        "interlaced-gray8-9x9.png": png(9, 9, 0, 8, interlace=1),
        "interlaced-rgba8-10x7.png": png(10, 7, 6, 8, interlace=1),
        "interlaced-gray1-11x5.png": png(11, 5, 0, 1, interlace=1),
        "paeth-rgb8-8x8.png": png(8, 8, 2, 8, filt=4),
        "same-size-gray8-32x32.png": png(32, 32, 0, 8),
    }


# ---- .npy -----------------------------------------------------------------

def npy(shape, descr="<f4", fortran=False, version=1, count=None, values=None):
    d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False",
        "(%s%s)" % (", ".join(map(str, shape)), "," if len(shape) == 1 else ""))
    prefix = 10 if version == 1 else 12
    pad = (64 - (prefix + len(d) + 1) % 64) % 64
    header = (d + " " * pad + "\n").encode("latin1")
    n = 1
    for s in shape:
        n *= s
    n = n if count is None else count
    vals = values if values is not None else [((i * 37) % 200) / 100.0 - 1.0 for i in range(n)]
    body = struct.pack("<%df" % n, *vals[:n])
    length = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header + body


def npy_seeds():
    return {
        "one-1x32x32.npy": npy((1, 1, 32, 32)),
        "two-1x32x32-v2.npy": npy((2, 1, 32, 32), version=2),
        "one-3x64x64.npy": npy((1, 3, 64, 64)),
        "short-data.npy": npy((3, 1, 32, 32), count=10),
        "f8.npy": npy((1, 1, 2, 2), descr="<f8", count=8),
        "fortran.npy": npy((1, 1, 32, 32), fortran=True),
        "rank3.npy": npy((1, 32, 32)),
        "out-of-range.npy": npy((1, 1, 32, 32), values=[2.0] * 1024),
    }


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    for target, seeds in (("idx", idx_seeds()), ("png", png_seeds()), ("npy", npy_seeds())):
        d = os.path.join(root, target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print("%s: %d seeds, %d bytes" % (target, len(seeds), sum(map(len, seeds.values()))))


if __name__ == "__main__":
    main()
