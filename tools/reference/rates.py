#!/usr/bin/python3
"""Per-layer firing rates of the reference: spikes / (neurons * T * N), as JSON.

    /usr/bin/python3 tools/reference/rates.py --mode generate|reconstruct --count N --seed S
        [--sampler torch|runtime] [--checkpoint PATH] [--images IDX3.gz] [--batch B]

generate: N images from the prior (stepped sampler, torch.Generator seeded
with S per batch of B, batch b using seed S + b; with --sampler runtime, the
runtime's own Philox choices for seed S instead, so that the figures are
those `fsvae profile --seed S` must reproduce). reconstruct: Fashion-MNIST
test images 0..N-1 (their RGB composites for a 3-channel model,
fsvae_ref.load_test_images), same seeding; also reports the reconstruction MSE in
[-1, 1] units. "z" is the latent's rate (ones / (C * T * N)).
"""

import argparse
import json
from pathlib import Path

from philox import runtime_choices
from fsvae_ref import FASHION_MNIST_TEST_IMAGES, FSVAERef, default_checkpoint, load_test_images


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=("generate", "reconstruct"), required=True)
    ap.add_argument("--count", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sampler", choices=("torch", "runtime"), default="torch")
    ap.add_argument("--batch", type=int, default=100, help="images per forward pass (memory bound)")
    ap.add_argument("--checkpoint", type=Path, default=default_checkpoint())
    ap.add_argument("--images", default=FASHION_MNIST_TEST_IMAGES, help="IDX3 test images (reconstruct)")
    args = ap.parse_args(argv)

    model = FSVAERef.from_checkpoint(args.checkpoint)
    layers = model.generate_layers() if args.mode == "generate" else model.reconstruct_layers()
    spikes = dict.fromkeys(layers, 0)
    neurons = {}
    z_ones = sq_err = 0.0
    for b, start in enumerate(range(0, args.count, args.batch)):
        n = min(args.batch, args.count - start)
        seed, choices = args.seed + b, None
        if args.sampler == "runtime":
            seed, choices = None, runtime_choices(args.seed, start, n, model.arch.T,
                                                  model.arch.latent_dim, model.arch.k)
        if args.mode == "generate":
            res = model.generate(n, seed=seed, choices=choices, trace=True)
        else:
            x = load_test_images(start, n, model.arch.image_channels, model.arch.image_size, args.images)
            res = model.reconstruct(x, seed=seed, choices=choices, trace=True)
            sq_err += float(((res.image - x).double() ** 2).sum())
        for name in layers:
            spikes[name] += int(res.trace.spikes[name].sum())
            neurons[name] = res.trace.neurons[name]
        z_ones += float(res.z.sum())
    T, N = model.arch.T, args.count
    out = {"mode": args.mode, "count": N, "seed": args.seed, "sampler": args.sampler,
           "rates": {name: round(spikes[name] / (neurons[name] * T * N), 4) for name in layers},
           "z": round(z_ones / (model.arch.latent_dim * T * N), 4),
           "spikes": spikes, "z_ones": int(z_ones)}
    if args.mode == "reconstruct":
        size = model.arch.image_channels * model.arch.image_size ** 2
        out["mse"] = round(sq_err / (size * N), 5)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
