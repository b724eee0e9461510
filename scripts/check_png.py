"""check_png.py: PNG FILE [FILE...]: each is a valid, non-blank PNG, as the
samples write it (8-bit gray or RGB, CRCs right, pixel data the size the
header says, more than 8 distinct values). Used by check_install.sh and
aarch64.sh."""
import struct
import sys
import zlib


def check(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    pos, chunks = 8, {}
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]
        assert zlib.crc32(kind + body) == crc, f"{path}: bad CRC in {kind}"
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + n
    w, h, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    raw = zlib.decompress(chunks[b"IDAT"])
    ch = 3 if color == 2 else 1
    assert len(raw) == h * (w * ch + 1), f"{path}: wrong pixel data size"
    pixels = bytes(b for y in range(h) for b in raw[y * (w * ch + 1) + 1:(y + 1) * (w * ch + 1)])
    assert len(set(pixels)) > 8, f"{path}: blank image"
    print(f"  {path.rsplit('/', 1)[-1]}: {w}x{h}, {len(data)} bytes, {len(set(pixels))} distinct values")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: check_png.py FILE.png [FILE.png...]")
    for p in sys.argv[1:]:
        check(p)
