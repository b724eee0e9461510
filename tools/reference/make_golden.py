#!/usr/bin/env python3
"""Write the golden vectors tests/golden/{generate,reconstruct}.json from the reference.

    python3 tools/reference/make_golden.py [--checkpoint PATH] [--out DIR]

generate.json: one image per seed 0..3 (batch 1, prior sampled with a
torch.Generator seeded with that seed). reconstruct.json: Fashion-MNIST test
images 0..3, image i sampled with seed i. Each image records the sampler's
choices r, so a runtime can inject them, the latent z, per-layer per-step
spike and near-threshold counts, and the output image. Every image is computed
with both samplers (stepped and published O(T^2)), which must agree exactly.
"""

import argparse
import hashlib
import json
import sys
from pathlib import Path

import torch

from fsvae_ref import NEAR_THRESHOLD_EPS, REPO, FSVAERef, default_checkpoint, load_fashion_mnist_test

SEEDS = (0, 1, 2, 3)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def floats(t: torch.Tensor):
    # repr of the float64 that equals each float32 value: parses back exactly
    return [float(v) for v in t.reshape(-1).tolist()]


def image_record(res, layers, extra):
    rec = dict(extra)
    rec["choices"] = res.choices[0].tolist()
    rec["z"] = res.z[0].to(torch.int64).tolist()
    rec["spike_counts"] = {n: res.trace.spikes[n][0].tolist() for n in layers}
    rec["near_threshold"] = {n: res.trace.near[n][0].tolist() for n in layers}
    rec["image"] = floats(res.image[0])
    return rec


def same(a, b) -> bool:
    return (torch.equal(a.z, b.z) and torch.equal(a.image, b.image)
            and all(torch.equal(a.trace.spikes[n], b.trace.spikes[n]) for n in a.trace.spikes))


def write_json(path: Path, header: dict, images: list):
    """One header key per line, one image field per line: readable diffs, small files."""
    lines = ["{"]
    for key, value in header.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value)},")
    lines.append('  "images": [')
    for i, img in enumerate(images):
        fields = [f"    {json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in img.items()]
        lines.append("   {\n" + ",\n".join(fields) + "\n   }" + ("," if i + 1 < len(images) else ""))
    lines.append("  ]")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", type=Path, default=default_checkpoint(),
                    help="default: %(default)s")
    ap.add_argument("--out", type=Path, default=REPO / "tests" / "golden")
    args = ap.parse_args(argv)

    model = FSVAERef.from_checkpoint(args.checkpoint)
    a = model.arch
    header = {
        "checkpoint": args.checkpoint.name,
        "checkpoint_sha256": sha256(args.checkpoint),
        "mode": None,
        "T": a.T, "k": a.k, "latent_dim": a.latent_dim,
        "image_shape": [a.image_channels, a.image_size, a.image_size],
        "near_threshold_eps": NEAR_THRESHOLD_EPS,
        "layers": None,
    }
    args.out.mkdir(parents=True, exist_ok=True)

    layers = model.generate_layers()
    images = []
    for seed in SEEDS:
        res = model.generate(1, seed=seed, trace=True)
        if not same(res, model.generate(1, seed=seed, sampler="published", trace=True)):
            sys.exit(f"generate seed {seed}: stepped and published samplers disagree")
        images.append(image_record(res, layers, {"seed": seed}))
    write_json(args.out / "generate.json", dict(header, mode="generate", layers=layers), images)

    layers = model.reconstruct_layers()
    inputs = load_fashion_mnist_test(0, len(SEEDS), size=a.image_size)
    images = []
    for i, seed in enumerate(SEEDS):
        x = inputs[i:i + 1]
        res = model.reconstruct(x, seed=seed, trace=True)
        if not same(res, model.reconstruct(x, seed=seed, sampler="published", trace=True)):
            sys.exit(f"reconstruct image {i}: stepped and published samplers disagree")
        images.append(image_record(res, layers, {"test_index": i, "seed": seed, "input": floats(x[0])}))
    write_json(args.out / "reconstruct.json", dict(header, mode="reconstruct", layers=layers), images)
    print(f"wrote {args.out / 'generate.json'} and {args.out / 'reconstruct.json'}")


if __name__ == "__main__":
    main()
