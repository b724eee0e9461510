#!/usr/bin/python3
"""make_resize_golden.py: records what Pillow does to input images, so the C++
reader (runtime/resize.cpp, runtime/image_input.cpp) can be checked against it
without Python at test time.

Writes tests/golden/resize.json next to this script:
  - "cases": 8-bit images and Pillow's Image.resize((w, h), Image.BILINEAR) of
    them, which is what torchvision's Resize((h, w)) does to a PIL image. The
    first three Fashion-MNIST test images (28x28 -> 32x32) and synthetic ones
    covering upscaling, downscaling, a skipped pass and RGB.
  - "rgb_to_gray": an RGB image, and PIL's convert("L") then resize of it, as
    the reader does for a colour PNG given to a one-channel model.
  - "png16": 16-bit PNG files (gray, gray+alpha, RGB) and what Pillow makes
    of each for a one- and a three-channel model: Image.open, convert("L") or
    convert("RGB"), then the bilinear resize. Pillow opens 16-bit gray as
    mode "I" and clips it to 0..255 when converting; the other 16-bit colour
    types it reads by their high byte.
  - "normalized": the float32 model input for the first Fashion-MNIST image:
    ToTensor (byte / 255 in float32) then Normalize(0.5, 0.5), i.e. (x - 0.5) / 0.5.
Bytes are base64; floats are base64 of their little-endian float32 bits, so
the test compares them bit for bit.

Run with the system interpreter (Debian's PIL and numpy; torch, if present,
double-checks the float conversion): /usr/bin/python3 tests/golden/make_resize_golden.py
"""
import base64
import gzip
import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import PIL
from PIL import Image

# Debian's dataset-fashion-mnist package, installed by scripts/setup.sh.
FASHION_MNIST_TEST_IMAGES = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
OUT = Path(__file__).resolve().parent / "resize.json"


def b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def fashion_mnist(count: int) -> np.ndarray:
    with gzip.open(FASHION_MNIST_TEST_IMAGES, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 0x803 and n >= count, (magic, n)
        data = f.read(count * rows * cols)
    return np.frombuffer(data, dtype=np.uint8).reshape(count, rows, cols)


def pil_resize(a: np.ndarray, w: int, h: int) -> np.ndarray:
    mode = "L" if a.ndim == 2 else "RGB"
    return np.asarray(Image.fromarray(a, mode=mode).resize((w, h), Image.BILINEAR))


def case(name: str, a: np.ndarray, w: int, h: int) -> dict:
    out = pil_resize(a, w, h)
    return {"name": name, "src_w": a.shape[1], "src_h": a.shape[0],
            "channels": 1 if a.ndim == 2 else a.shape[2], "src": b64(a),
            "dst_w": w, "dst_h": h, "dst": b64(out)}


def png_bytes(a: np.ndarray, color_type: int) -> bytes:
    """A 16-bit PNG of a (h, w[, channels]) uint16 array, unfiltered rows."""
    h, w = a.shape[:2]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = a.astype(">u2").reshape(h, -1)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)
    ihdr = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) +
            chunk(b"IEND", b""))


def png16_case(name: str, a: np.ndarray, color_type: int) -> dict:
    data = png_bytes(a, color_type)
    out = {"name": name, "png": base64.b64encode(data).decode("ascii"), "dst_w": 32, "dst_h": 32}
    for mode, key in (("L", "dst_gray"), ("RGB", "dst_rgb")):
        im = Image.open(io.BytesIO(data)).convert(mode)
        out[key] = b64(np.asarray(im.resize((32, 32), Image.BILINEAR)))
    return out


def to_model_input(img: np.ndarray) -> np.ndarray:
    """torchvision's ToTensor then Normalize(0.5, 0.5), in numpy float32."""
    x = img.astype(np.float32) / np.float32(255)
    return (x - np.float32(0.5)) / np.float32(0.5)


def main():
    rng = np.random.default_rng(20240611)
    fm = fashion_mnist(3)
    cases = [case(f"fashion-mnist test image {i}", fm[i], 32, 32) for i in range(3)]
    cases.append(case("gray 7x5 -> 32x32", rng.integers(0, 256, (5, 7), dtype=np.uint8), 32, 32))
    cases.append(case("gray 40x30 -> 32x32 (downscale across)",
                      rng.integers(0, 256, (30, 40), dtype=np.uint8), 32, 32))
    cases.append(case("gray 32x24 -> 32x32 (horizontal pass skipped)",
                      rng.integers(0, 256, (24, 32), dtype=np.uint8), 32, 32))
    cases.append(case("rgb 20x20 -> 64x64", rng.integers(0, 256, (20, 20, 3), dtype=np.uint8), 64, 64))

    rgb = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
    gray = np.asarray(Image.fromarray(rgb, mode="RGB").convert("L"))
    rgb_to_gray = {"src_w": 10, "src_h": 12, "src": b64(rgb), "dst_w": 32, "dst_h": 32,
                   "dst": b64(pil_resize(gray, 32, 32))}

    # Half the 16-bit samples below 256, so both the clip and the values kept show.
    def samples16(shape):
        low = rng.integers(0, 256, shape)
        high = rng.integers(256, 65536, shape)
        return np.where(rng.random(shape) < 0.5, low, high).astype(np.uint16)
    png16 = [png16_case("gray 16-bit 20x18", samples16((18, 20)), 0),
             png16_case("gray+alpha 16-bit 20x18", samples16((18, 20, 2)), 4),
             png16_case("rgb 16-bit 20x18", samples16((18, 20, 3)), 2)]

    first = pil_resize(fm[0], 32, 32)
    values = to_model_input(first)
    # The project's reference (tools/reference/fsvae_ref.py) writes 2 * x - 1;
    # scaling by 2 commutes with rounding, so the two are the same bits.
    x = first.astype(np.float32) / np.float32(255)
    assert np.array_equal((np.float32(2) * x - np.float32(1)).view(np.uint32), values.view(np.uint32))
    try:
        import torch
        t = torch.from_numpy(first.copy()).float().div(255).sub_(0.5).div_(0.5)
        assert np.array_equal(t.numpy().view(np.uint32), values.view(np.uint32))
    except ImportError:
        pass

    doc = {
        "generator": "tests/golden/make_resize_golden.py",
        "pillow": PIL.__version__,
        "cases": cases,
        "rgb_to_gray": rgb_to_gray,
        "png16": png16,
        "normalized": {"case": 0, "width": 32, "height": 32,
                       "values_f32le": b64(values.astype("<f4"))},
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
