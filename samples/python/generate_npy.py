#!/usr/bin/python3
"""Generate many images on a dask cluster into one .npy file, with a progress bar.

    /usr/bin/python3 samples/python/generate_npy.py images.npy [--count 100000] [--workers 2]
        [--chunk 1024] [--seed 0] [--scheduler ADDRESS]

Starts a LocalCluster of --workers processes on loopback (or joins the
cluster at --scheduler), spreads fsvae.dask.generate() over it chunk by chunk
and writes each chunk into the output as it arrives (a memory-mapped .npy
written to a temporary name, renamed into place when complete). The file
holds exactly what one process would generate for that seed.
"""

import argparse
import os
import sys
import time

import numpy as np
from dask.distributed import Client, LocalCluster, as_completed
from tqdm import tqdm

import fsvae
import fsvae.dask


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output", help=".npy file to write")
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", default=None, help="model file (default: the bundled one)")
    ap.add_argument("--scheduler", default=None, help="address of a running dask scheduler")
    args = ap.parse_args(argv)
    if not args.output.endswith(".npy"):
        ap.error(f"{args.output}: the output must be a .npy file")
    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        ap.error(f"{out_dir}: output directory does not exist")

    images = fsvae.dask.generate(args.count, seed=args.seed, chunk=args.chunk, model=args.model)
    if args.scheduler:
        cluster, client = None, Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, host="127.0.0.1",
                               dashboard_address=None)
        client = Client(cluster)
    tmp = os.path.join(out_dir, f".{os.path.basename(args.output)}.{os.getpid()}.tmp")
    try:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=images.shape)
        starts = np.cumsum((0,) + images.chunks[0])
        blocks = images.to_delayed().ravel()
        futures = client.compute(list(blocks))
        index = {f.key: i for i, f in enumerate(futures)}
        t0 = time.perf_counter()
        with tqdm(total=args.count, unit="img", file=sys.stderr) as bar:
            for fut, block in as_completed(futures, with_results=True):
                i = index[fut.key]
                out[starts[i]:starts[i + 1]] = block
                bar.update(len(block))
        seconds = time.perf_counter() - t0
        out.flush()
        del out
        os.replace(tmp, args.output)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    print(f"wrote {args.output}: {args.count} images in {seconds:.2f} s "
          f"({args.count / seconds:.0f} images/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
