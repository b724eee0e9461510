#!/usr/bin/python3
"""Images/s of the Python package against the C API (the `fsvae` command
line's own timing), and of fsvae.dask on LocalClusters of 1 and 2 workers.

    /usr/bin/python3 samples/python/bench.py [--count 4096] [--cli build/fsvae]

Each front end generates images 0 .. count-1 of seeds 0, 1 and 2 (the best
of the three counts) with one runtime thread per process, so the figures
compare the front ends alone.
"""

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import fsvae
import fsvae.dask


def best(f, repeat=3):
    """The fastest of `repeat` runs of f(seed), each on another seed (so no
    run can reuse what dask kept of an earlier one)."""
    times = []
    for seed in range(repeat):
        t0 = time.perf_counter()
        f(seed)
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=4096)
    ap.add_argument("--chunk", type=int, default=512)
    ap.add_argument("--cli", default="build/fsvae")
    args = ap.parse_args(argv)
    n = args.count
    rows = []

    with tempfile.TemporaryDirectory() as tmp:
        def cli(seed):
            r = subprocess.run([args.cli, "generate", "--model", fsvae.BUNDLED_MODEL, "--count", str(n),
                                "--seed", str(seed), "--threads", "1", "--output", str(Path(tmp) / "x.npy")],
                               capture_output=True, text=True, check=True)
            return float(re.search(r" in ([0-9.]+) s", r.stdout).group(1))
        c = min(cli(seed) for seed in range(3))
    rows.append(("C API (fsvae generate, its own timer)", c))

    m = fsvae.Model()
    rows.append(("Model.generate(threads=1)", best(lambda seed: m.generate(n, seed=seed, threads=1))))

    from dask.distributed import Client, LocalCluster
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1",
                          dashboard_address=None) as cluster, Client(cluster):
            fsvae.dask.generate(2 * workers, seed=99, chunk=1).compute()  # workers load the model
            rows.append((f"fsvae.dask.generate, {workers} worker(s), chunk {args.chunk}",
                         best(lambda seed: fsvae.dask.generate(n, seed=seed, chunk=args.chunk).compute())))

    print(f"{n} images, 1 runtime thread per process")
    for name, s in rows:
        print(f"{name:48s} {s:7.3f} s {n / s:9.0f} images/s  {100 * (s / c - 1):+6.1f}% vs C API")
    return 0


if __name__ == "__main__":
    sys.exit(main())
