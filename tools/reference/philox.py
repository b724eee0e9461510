#!/usr/bin/python3
"""The runtime's sampler choices, reproduced in Python (see runtime/sampler.cpp).

For latent c of image i at step t: x = word c % 4 of Philox4x32-10 with
key (seed low 32, seed high 32) and counter (i low 32, i high 32, t, c // 4);
r = floor(x * k / 2^32). With these choices injected, the reference computes
exactly what `fsvae generate --seed S` / `fsvae reconstruct --seed S` compute.

    /usr/bin/python3 tools/reference/philox.py [--out tests/golden/philox.json]

writes the choices of a few (seed, index, k, latent_dim) cases for
tests/test_sampler.cpp to compare with the runtime's, value for value.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF


def philox4x32(ctr, key):
    """ctr: uint64 array (..., 4) of 32-bit words; key: two ints. Returns (..., 4)."""
    c = [ctr[..., i].astype(np.uint64) for i in range(4)]
    k0, k1 = np.uint64(key[0]), np.uint64(key[1])
    for _ in range(10):
        p0 = np.uint64(M0) * c[0]
        p1 = np.uint64(M1) * c[2]
        c = [((p1 >> np.uint64(32)) ^ c[1] ^ k0) & np.uint64(MASK), p1 & np.uint64(MASK),
             ((p0 >> np.uint64(32)) ^ c[3] ^ k1) & np.uint64(MASK), p0 & np.uint64(MASK)]
        k0 = (k0 + np.uint64(W0)) & np.uint64(MASK)
        k1 = (k1 + np.uint64(W1)) & np.uint64(MASK)
    return np.stack(c, axis=-1)


def runtime_choices(seed: int, first_index: int, n: int, T: int, C: int, k: int) -> torch.Tensor:
    """Choices (n, T, C) int64 of images first_index .. first_index + n - 1."""
    idx = np.arange(first_index, first_index + n, dtype=np.uint64)
    t = np.arange(T, dtype=np.uint64)
    blocks = np.arange((C + 3) // 4, dtype=np.uint64)
    I, TT, B = np.meshgrid(idx, t, blocks, indexing="ij")
    ctr = np.stack([I & np.uint64(MASK), I >> np.uint64(32), TT, B], axis=-1)
    words = philox4x32(ctr, (seed & MASK, (seed >> 32) & MASK))  # (n, T, blocks, 4)
    words = words.reshape(n, T, -1)[:, :, :C]
    r = (words * np.uint64(k)) >> np.uint64(32)
    return torch.from_numpy(r.astype(np.int64))


# (seed, image index, k, latent_dim, T): the usual sizes, and the corners of
# the mapping: both halves of the seed and the index, a latent count that is
# not a multiple of 4, the largest k the runtime loads, k = 1.
GOLDEN_CASES = [(0, 0, 20, 128, 16), (7, 3, 20, 32, 16), ((1 << 32) + 3, (1 << 32) + 5, 20, 13, 4),
                ((1 << 64) - 1, (1 << 64) - 1, 4096, 6, 4), (123456789, 77, 1, 5, 2), (42, 9, 3, 33, 3)]


def main(argv=None):
    """Write tests/golden/philox.json: runtime_choices for GOLDEN_CASES, which
    tests/test_sampler.cpp compares with the runtime's ChoiceSource."""
    ap = argparse.ArgumentParser(description=main.__doc__.split(":")[0])
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).resolve().parent.parent.parent / "tests" / "golden" / "philox.json")
    args = ap.parse_args(argv)
    cases = [{"seed": s, "index": i, "k": k, "latent_dim": C,
              "choices": runtime_choices(s, i, 1, T, C, k)[0].tolist()} for s, i, k, C, T in GOLDEN_CASES]
    lines = ['{', '  "generator": "tools/reference/philox.py",', '  "cases": [']
    lines += ["    " + json.dumps(c, separators=(",", ":")) + ("," if n + 1 < len(cases) else "")
              for n, c in enumerate(cases)]
    lines += ["  ]", "}"]
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
