#!/usr/bin/python3
"""Per-neuron spike counts of the reference, as JSON, for comparing with the
runtime's `fsvae profile` counts exactly.

    /usr/bin/python3 tools/reference/neuron_counts.py --mode generate|reconstruct --count N --seed S
        [--checkpoint PATH] [--images IDX3.gz]

The sampler's choices are the runtime's (philox.py) for seed S and images
0..N-1, so the counts are those `fsvae profile --seed S --count N` must give.
Per spiking layer: "neuron_spikes", each neuron's spikes over all images and
steps, in the published code's order (channel, row, column), and "near", the
steps at which the neuron's membrane was within 1e-5 of Vth (where float
rounding could decide a spike). Also the latent's ones per latent and the
count of each sampler choice r in 0..k-1.
"""

import argparse
import json
from pathlib import Path

import torch

import fsvae_ref
from philox import runtime_choices
from fsvae_ref import FASHION_MNIST_TEST_IMAGES, FSVAERef, default_checkpoint, load_fashion_mnist_test


class NeuronTrace(fsvae_ref.Trace):
    """The reference's trace, plus per-neuron sums over images and steps."""

    def __init__(self, n: int, T: int):
        super().__init__(n, T)
        self.neuron_spikes = {}
        self.neuron_near = {}

    def record(self, name, t, u, o):
        super().record(name, t, u, o)
        spikes = o.reshape(self.n, -1).sum(0).to(torch.int64)
        near = ((u - fsvae_ref.VTH).abs() <= fsvae_ref.NEAR_THRESHOLD_EPS).reshape(self.n, -1).sum(0)
        if name not in self.neuron_spikes:
            self.neuron_spikes[name] = torch.zeros_like(spikes)
            self.neuron_near[name] = torch.zeros_like(spikes)
        self.neuron_spikes[name] += spikes
        self.neuron_near[name] += near.to(torch.int64)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=("generate", "reconstruct"), required=True)
    ap.add_argument("--count", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--checkpoint", type=Path, default=default_checkpoint())
    ap.add_argument("--images", default=FASHION_MNIST_TEST_IMAGES, help="IDX3 test images (reconstruct)")
    args = ap.parse_args(argv)

    fsvae_ref.Trace = NeuronTrace  # generate() and reconstruct() build this trace
    model = FSVAERef.from_checkpoint(args.checkpoint)
    a = model.arch
    choices = runtime_choices(args.seed, 0, args.count, a.T, a.latent_dim, a.k)
    if args.mode == "generate":
        res = model.generate(args.count, choices=choices, trace=True)
        layers = model.generate_layers()
    else:
        x = load_fashion_mnist_test(0, args.count, path=args.images, size=a.image_size)
        res = model.reconstruct(x, choices=choices, trace=True)
        layers = model.reconstruct_layers()
    tr = res.trace
    out = {"mode": args.mode, "count": args.count, "seed": args.seed,
           "layers": {name: {"neuron_spikes": tr.neuron_spikes[name].tolist(),
                             "near": tr.neuron_near[name].tolist()} for name in layers},
           "latent_ones": res.z.sum((0, 1)).to(torch.int64).tolist(),
           "choice_counts": torch.bincount(res.choices.reshape(-1), minlength=a.k).tolist()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
