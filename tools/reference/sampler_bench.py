#!/usr/bin/python3
"""Time the reference's two prior samplers (and the decoder) in ms per image.

    /usr/bin/python3 tools/reference/sampler_bench.py [--checkpoint PATH] [--threads N] [--batches 1 64]

"published" re-runs the prior over the whole prefix at every step (O(T^2),
as the published code); "stepped" keeps each layer's state (O(T)). Prints one
JSON line; each figure is the median of --repeats timed runs after a warm-up.
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from fsvae_ref import FSVAERef, default_checkpoint


def ms_per_image(fn, n, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(1000 * statistics.median(times) / n, 3)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", type=Path, default=default_checkpoint())
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 64])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    model = FSVAERef.from_checkpoint(args.checkpoint)
    out = {"threads": args.threads, "T": model.arch.T, "k": model.arch.k,
           "latent_dim": model.arch.latent_dim, "ms_per_image": {}}
    for n in args.batches:
        z, _ = model.sample_prior(n, seed=0)
        out["ms_per_image"][f"batch_{n}"] = {
            s: ms_per_image(lambda: model.sample_prior(n, seed=0, sampler=s), n, args.repeats)
            for s in ("published", "stepped")} | {
            "decode": ms_per_image(lambda: model.decode(z), n, args.repeats)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
