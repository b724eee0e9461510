#!/usr/bin/python3
"""Write the golden vectors tests/golden/{generate,reconstruct}.json from the reference.

    /usr/bin/python3 tools/reference/make_golden.py [--checkpoint PATH] [--out DIR]
        [--choices torch|runtime] [--seed S]

generate.json: four images from the prior. reconstruct.json: the first four
test images (load_test_images: Fashion-MNIST, or its RGB composites for a
3-channel model). With --choices torch (default), image i is sampled alone
with a torch.Generator seeded with i, the published draw. With --choices
runtime, image i takes the runtime's own Philox choices for seed S and image
index i (philox.py), i.e. what `fsvae generate|reconstruct --seed S` draws.
Each image records the sampler's choices r, so a runtime can inject them, the
latent z, per-layer per-step spike and near-threshold counts, and the output
image. Every image is computed with both samplers (stepped and published
O(T^2)), which must agree exactly.
"""

import argparse
import hashlib
import json
import sys
from pathlib import Path

import torch

from fsvae_ref import NEAR_THRESHOLD_EPS, REPO, FSVAERef, default_checkpoint, load_test_images
from philox import runtime_choices

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
    ap.add_argument("--choices", choices=("torch", "runtime"), default="torch",
                    help="torch.Generator per image (published draw) or the runtime's Philox")
    ap.add_argument("--seed", type=int, default=7, help="the runtime seed (--choices runtime)")
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
        "choice_source": args.choices,
        "layers": None,
    }
    args.out.mkdir(parents=True, exist_ok=True)

    def sampling(i):
        """(keyword arguments for the reference, fields recorded) of image i."""
        if args.choices == "torch":
            return {"seed": SEEDS[i]}, {"seed": SEEDS[i]}
        return ({"choices": runtime_choices(args.seed, i, 1, a.T, a.latent_dim, a.k)},
                {"seed": args.seed, "index": i})

    layers = model.generate_layers()
    images = []
    for i in range(len(SEEDS)):
        kw, fields = sampling(i)
        res = model.generate(1, trace=True, **kw)
        if not same(res, model.generate(1, sampler="published", trace=True, **kw)):
            sys.exit(f"generate image {i}: stepped and published samplers disagree")
        images.append(image_record(res, layers, fields))
    write_json(args.out / "generate.json", dict(header, mode="generate", layers=layers), images)

    layers = model.reconstruct_layers()
    inputs = load_test_images(0, len(SEEDS), a.image_channels, a.image_size)
    images = []
    for i in range(len(SEEDS)):
        x = inputs[i:i + 1]
        kw, fields = sampling(i)
        res = model.reconstruct(x, trace=True, **kw)
        if not same(res, model.reconstruct(x, sampler="published", trace=True, **kw)):
            sys.exit(f"reconstruct image {i}: stepped and published samplers disagree")
        images.append(image_record(res, layers, {"test_index": i, **fields, "input": floats(x[0])}))
    write_json(args.out / "reconstruct.json", dict(header, mode="reconstruct", layers=layers), images)
    print(f"wrote {args.out / 'generate.json'} and {args.out / 'reconstruct.json'}")


if __name__ == "__main__":
    main()
