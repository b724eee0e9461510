#!/usr/bin/python3
"""Generation speed of the runtime against the project's PyTorch reference and
the dense GEMM baseline, measured in one run on the same machine, as ratios.

    /usr/bin/python3 tools/bench_compare.py [--fsvae build/fsvae] [--count 64] [--repeat 3]

The runtime, dense GEMM and dense bound figures come from `fsvae bench` (one
thread); the reference's from tools/reference/sampler_bench.py with one torch
thread, run with the system interpreter (Debian's torch). The reference is
reported twice, so that the algorithm's gain and the implementation's can be
told apart:

  published  the published sampler (the prior re-run over the whole prefix at
             every step, O(T^2)) plus the decoder: what the published code
             spends per generated image;
  stepped    the same model stepped once per time step (O(T)) plus the decoder.

published / stepped is the gain of stepping alone, stepped / runtime that of
the implementation. When OPENBLAS_CORETYPE is set, `fsvae bench` runs a second
time without it, and the dense GEMM figures of OpenBLAS's own choice of
kernels are reported too.
"""

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def faster(slow, fast):
    """'2.50x faster' when fast < slow, else '1.37x slower': the runtime against another."""
    return f"{slow / fast:.2f}x faster" if fast <= slow else f"{fast / slow:.2f}x slower"


def run(cmd, env=None):
    try:
        return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    except FileNotFoundError:
        sys.exit(f"bench_compare: {cmd[0]}: not found")
    except subprocess.CalledProcessError as e:
        sys.exit(f"bench_compare: {' '.join(cmd[:2])} failed: {e.stderr.strip()}")


def find(pattern, text, what, flags=0):
    m = re.search(pattern, text, flags)
    if not m:
        sys.exit(f"bench_compare: fsvae bench printed no {what}")
    return m.group(1)


def fsvae_bench(fsvae, count, repeat, env=None):
    out = run([fsvae, "bench", "--count", str(count), "--repeat", str(repeat)], env)
    fig = {"runtime": {}, "gemm": {}, "text": out}
    for m in re.finditer(r"^event-driven, batch (\d+), (\d+) threads?\s+([\d.]+)", out, re.M):
        if int(m.group(2)) == 1:
            fig["runtime"][int(m.group(1))] = float(m.group(3))
    for m in re.finditer(r"^dense GEMM, batch (\d+), 1 thread\s+([\d.]+)", out, re.M):
        fig["gemm"][int(m.group(1))] = float(m.group(2))
    for b in (1, count):
        if b not in fig["runtime"] or b not in fig["gemm"]:
            sys.exit(f"bench_compare: fsvae bench printed no batch {b} row")
    fig["matvec"] = float(find(r"^matrix-vector dense mode, batch \d+, 1 thread\s+([\d.]+)", out,
                               "matrix-vector dense mode row", re.M))
    fig["bound"] = float(find(r"dense bound dense MACs / peak FMA = ([\d.]+) ms", out, "dense bound"))
    fig["core"] = find(r"dense GEMM: OpenBLAS core ([^,\s]+)", out, "OpenBLAS core")
    fig["sgemm"] = float(find(r"sgemm reached ([\d.]+) GFLOP/s", out, "sgemm rate"))
    fig["peak"] = float(find(r"peak FMA ([\d.]+) G FMA/s", out, "peak FMA rate"))
    return fig


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fsvae", default=str(REPO / "build" / "fsvae"))
    ap.add_argument("--count", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--python", default="/usr/bin/python3",
                    help="interpreter with Debian's torch for the reference (default /usr/bin/python3)")
    args = ap.parse_args()
    batches = (1, args.count)

    rt = fsvae_bench(args.fsvae, args.count, args.repeat)
    print(rt["text"])
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    own = None
    if coretype:
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
        own = fsvae_bench(args.fsvae, args.count, args.repeat, env)

    ref = run([args.python, str(REPO / "tools" / "reference" / "sampler_bench.py"), "--threads",
               "1", "--batches", *map(str, batches), "--repeats", str(args.repeat)])
    ref = json.loads(ref)["ms_per_image"]

    print("generation, ms/image, 1 thread, bundled model (one run)")
    print(f"{'batch':>6} {'runtime':>9} {'dense GEMM':>11} {'published':>10} {'stepped':>9}"
          f" {'published/rt':>13} {'stepped/rt':>11} {'published/stepped':>18} {'GEMM/rt':>8}")
    for b in batches:
        r = ref[f"batch_{b}"]
        published = r["published"] + r["decode"]
        stepped = r["stepped"] + r["decode"]
        mine, gemm = rt["runtime"][b], rt["gemm"][b]
        print(f"{b:>6} {mine:>9.3f} {gemm:>11.3f} {published:>10.3f} {stepped:>9.3f}"
              f" {published / mine:>12.1f}x {stepped / mine:>10.1f}x {published / stepped:>17.2f}x"
              f" {gemm / mine:>7.2f}x")
    print("published, stepped: the PyTorch reference's sampler (O(T^2) / O(T)) plus its decoder;")
    print("rt: the event-driven runtime; a ratio above 1: the runtime is that many times faster")
    n = args.count
    print(f"\ndense, batch {n}, 1 thread (fsvae bench, OpenBLAS core {rt['core']}, "
          f"OPENBLAS_CORETYPE {coretype or 'unset'}):")
    print(f"  dense GEMM {rt['gemm'][n]:.3f} ms/image (sgemm at {rt['sgemm']:.1f} GFLOP/s), "
          f"runtime {faster(rt['gemm'][n], rt['runtime'][n])}")
    print(f"  dense bound {rt['bound']:.3f} ms/image (dense MACs / {rt['peak']:.1f} G FMA/s), "
          f"runtime {faster(rt['bound'], rt['runtime'][n])}")
    print(f"  matrix-vector dense mode {rt['matvec']:.3f} ms/image, "
          f"runtime {faster(rt['matvec'], rt['runtime'][n])}")
    if own:
        print(f"without OPENBLAS_CORETYPE (a second fsvae bench run; OpenBLAS core {own['core']}):")
        for b in batches:
            print(f"  batch {b}: dense GEMM {own['gemm'][b]:.3f} ms/image, runtime "
                  f"{own['runtime'][b]:.3f}: runtime {faster(own['gemm'][b], own['runtime'][b])}")
        print(f"  sgemm at {own['sgemm']:.1f} GFLOP/s; dense bound {own['bound']:.3f} ms/image, "
              f"runtime {faster(own['bound'], own['runtime'][n])}")


if __name__ == "__main__":
    main()
