"""The runtime's sampler choices, reproduced in Python (see runtime/sampler.cpp).

For latent c of image i at step t: x = word c % 4 of Philox4x32-10 with
key (seed low 32, seed high 32) and counter (i low 32, i high 32, t, c // 4);
r = floor(x * k / 2^32). With these choices injected, the reference computes
exactly what `fsvae generate --seed S` / `fsvae reconstruct --seed S` compute.
"""

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
