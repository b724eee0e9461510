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
  - "normalized": the float32 model input for the first Fashion-MNIST image:
    ToTensor (byte / 255 in float32) then Normalize(0.5, 0.5), i.e. (x - 0.5) / 0.5.
Bytes are base64; floats are base64 of their little-endian float32 bits, so
the test compares them bit for bit.

Run with the system interpreter (Debian's PIL and numpy; torch, if present,
double-checks the float conversion): /usr/bin/python3 tests/golden/make_resize_golden.py
"""
import base64
import gzip
import json
import struct
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
        "normalized": {"case": 0, "width": 32, "height": 32,
                       "values_f32le": b64(values.astype("<f4"))},
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
