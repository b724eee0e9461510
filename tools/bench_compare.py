#!/usr/bin/python3
"""Generation speed of the runtime against the project's PyTorch reference,
measured in one run on the same machine, printed as ratios.

    /usr/bin/python3 tools/bench_compare.py [--fsvae build/fsvae] [--count 64] [--repeat 3]

The runtime figures come from `fsvae bench`; the reference's from
tools/reference/sampler_bench.py with one torch thread: the published-style
sampler (prior re-run over the prefix, O(T^2)) plus its decoder, i.e. what
the published code spends per generated image.
"""

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fsvae", default=str(REPO / "build" / "fsvae"))
    ap.add_argument("--count", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    rt = subprocess.run([args.fsvae, "bench", "--count", str(args.count), "--repeat",
                         str(args.repeat)], check=True, capture_output=True, text=True).stdout
    print(rt)
    runtime = {}
    for m in re.finditer(r"event-driven, batch (\d+), (\d+) threads?\s+([\d.]+)", rt):
        runtime[(int(m.group(1)), int(m.group(2)))] = float(m.group(3))

    ref = subprocess.run([sys.executable, str(REPO / "tools" / "reference" / "sampler_bench.py"),
                          "--threads", "1", "--batches", "1", str(args.count), "--repeats",
                          str(args.repeat)], check=True, capture_output=True, text=True).stdout
    ref = json.loads(ref)["ms_per_image"]
    print("PyTorch reference, 1 thread, ms/image (prior sampler + decoder):")
    print(f"{'batch':>6} {'published':>10} {'stepped':>10} {'runtime':>10} {'ratio':>8}")
    for batch in (1, args.count):
        r = ref[f"batch_{batch}"]
        published = r["published"] + r["decode"]
        stepped = r["stepped"] + r["decode"]
        mine = runtime[(batch, 1)]
        print(f"{batch:>6} {published:>10.3f} {stepped:>10.3f} {mine:>10.3f} "
              f"{published / mine:>7.1f}x")
    print("ratio = published-style PyTorch ms/image / runtime ms/image, both one thread")


if __name__ == "__main__":
    main()
