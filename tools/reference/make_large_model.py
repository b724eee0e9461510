#!/usr/bin/python3
"""Make a small FSVAELarge test model (64x64 RGB), export it and record its golden vectors.

    /usr/bin/python3 tools/reference/make_large_model.py --out DIR

No trained FSVAELarge checkpoint is bundled (one with the published latent of
128 is over 20 MB), so the build makes one for the tests: a state_dict in
exactly the published format, with T = 16, k = 20 and a latent of 32 (the published code's
latent_dim is a setting; 32 keeps the file small and makes the prior and
posterior widths 2C and 4C differ from the 256 and 512 they have at C = 128).
Weights are random with a fixed seed (PyTorch's default uniform bounds);
tdBN running statistics are then calibrated on real images, layer by layer in
dataflow order: running_mean and running_var are each channel's pre-activation
mean and variance over the calibration batch, bn.weight is drawn near 1, and
bn.bias is chosen (a per-channel spread around one offset found by bisection)
so that the layer's firing rate lands near a target in 0.15..0.3. The prior and
posterior feed on their own samples, so each of their layers is calibrated on
a run of the stepped sampler with the layers below already calibrated, twice
over. The image layer (no tdBN) is scaled so that its pre-tanh readout has
zero mean and unit spread. Calibration images are the RGB composites of
Fashion-MNIST training images (fsvae_ref.rgb_composites); the golden vectors
use test images, so the two never overlap.

Writes to DIR: fsvae-large.pth, fsvae-large.fsvae (tools/fsvae_export.py),
generate.json and reconstruct.json (make_golden.py --choices runtime, so the
runtime's own seeded draws are checked too) and rates.json (the firing rates
of the calibration batch, per layer).
"""

import argparse
import json
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from fsvae_arch import READOUT_DECAY, Arch  # noqa: E402
from fsvae_ref import (FASHION_MNIST_TEST_IMAGES, LIF, FSVAERef, load_idx_images,  # noqa: E402
                       prepare_images, rgb_composites)

ARCH = Arch("FSVAELarge", image_channels=3, latent_dim=32, k=20, T=16)
WEIGHT_SEED = 20240611
CALIBRATION_IMAGES = 16
FASHION_MNIST_TRAIN_IMAGES = str(Path(FASHION_MNIST_TEST_IMAGES).with_name("train-images-idx3-ubyte.gz"))
NAME = "fsvae-large"


def target_rate(name: str) -> float:
    """A plausible firing rate per layer (the trained 32x32 model has 0.13..0.33)."""
    if name.endswith("layers.2"):
        return 0.3        # the sampled layer: z is about this dense
    if name.startswith(("prior", "posterior")):
        return 0.25
    if name.startswith("encoder"):
        return 0.2
    return 0.15


def initial_state_dict(arch: Arch, gen: torch.Generator) -> "OrderedDict[str, torch.Tensor]":
    """Every key of the published state_dict; weights and biases uniform in
    +-1/sqrt(fan_in) as PyTorch initializes them, tdBN the identity."""
    sd = OrderedDict()
    for spec in arch.layers():
        shape = spec.weight_shape
        fan_in = shape[1] * (1 if spec.kind == "linear" else 9)   # as torch.nn.init computes it
        bound = fan_in ** -0.5
        n_out = arch.expected_keys()[f"{spec.name}.bias"][0]
        sd[f"{spec.name}.weight"] = (torch.rand(shape, generator=gen) * 2 - 1) * bound
        sd[f"{spec.name}.bias"] = (torch.rand(n_out, generator=gen) * 2 - 1) * bound
        if spec.spiking:
            p = f"{spec.name}.bn."
            sd[p + "weight"], sd[p + "bias"] = torch.ones(n_out), torch.zeros(n_out)
            sd[p + "running_mean"], sd[p + "running_var"] = torch.zeros(n_out), torch.ones(n_out)
            sd[p + "num_batches_tracked"] = torch.tensor(0, dtype=torch.int64)
    C, T = arch.latent_dim, arch.T
    sd["prior.initial_input"] = torch.zeros(1, C, 1)
    sd["posterior.initial_input"] = torch.zeros(1, C, 1)
    sd["membrane_output_layer.coef"] = (READOUT_DECAY ** torch.arange(T - 1, -1, -1, dtype=torch.float64)
                                        ).float().view(1, 1, 1, 1, T)
    return sd


class Calibrator:
    def __init__(self, ref: FSVAERef, gen: torch.Generator):
        self.ref, self.gen = ref, gen
        self.rates = {}

    def spikes(self, name: str, y: torch.Tensor) -> torch.Tensor:
        """The layer's output spikes for pre-activation y with the current tdBN."""
        alpha = self.ref.specs[name].bn_alpha
        if y.dim() == 3:
            cur = self.ref._bn(name, y[:, :, None, None, :], alpha)[:, :, 0, 0, :]
        else:
            cur = self.ref._bn(name, y, alpha)
        return LIF(name, None).run(cur)

    def calibrate(self, name: str, y: torch.Tensor) -> torch.Tensor:
        """Set the layer's tdBN from pre-activations y (N, C, [H, W,] T); returns its spikes."""
        sd, p = self.ref.sd, f"{name}.bn."
        dims = [d for d in range(y.dim()) if d != 1]
        n = y.shape[1]
        sd[p + "running_mean"] = y.mean(dims)
        sd[p + "running_var"] = y.var(dims, unbiased=False)
        sd[p + "weight"] = 0.8 + 0.4 * torch.rand(n, generator=self.gen)
        spread = 0.05 * torch.randn(n, generator=self.gen)
        target = target_rate(name)
        # The offset is searched on a random subset of each channel's pixels
        # (a neuron's rate depends on its own current only): the decoder's
        # last maps are 10^8 values.
        sub = y
        if y.dim() == 5:
            flat = y.reshape(y.shape[0], n, -1, y.shape[-1])
            keep = max(1, min(flat.shape[2], (1 << 17) // (flat.shape[0] * n)))
            pixels = torch.randperm(flat.shape[2], generator=self.gen)[:keep]
            sub = flat[:, :, pixels, None, :]
        def rate(offset):
            sd[p + "bias"] = offset + spread
            return float(self.spikes(name, sub).mean())

        lo, hi = -1.0, 1.0
        for _ in range(24):   # the rate rises with the offset
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if rate(mid) < target else (lo, mid)
        # Bisection ends on a step of the rate when the target falls inside
        # one: many neurons with one current (a flat background) crossing Vth
        # together, which would put all of them within rounding of Vth. Step
        # off it to whichever side is closer to the target.
        offset = min(((lo + hi) / 2 - 0.01, (lo + hi) / 2 + 0.01), key=lambda o: abs(rate(o) - target))
        sd[p + "bias"] = offset + spread
        out = self.spikes(name, y)
        self.rates[name] = float(out.mean())
        return out

    def feed_forward(self, names, x: torch.Tensor) -> torch.Tensor:
        for name in names:
            x = self.calibrate(name, self.ref.affine(name, x))
        return x

    def stepped_inputs(self, prefix: str, n: int, seed: int, x_lat=None):
        """Each layer's input (N, Cin, T) in a stepped run of the prior or posterior,
        and the latent z (N, C, T) it sampled (choices from a generator seeded with seed)."""
        ref, arch = self.ref, self.ref.arch
        gen = torch.Generator().manual_seed(seed)
        lifs = [LIF(f"{prefix}.layers.{i}", None) for i in range(3)]
        inputs = [[], [], []]
        z_prev = torch.zeros(n, arch.latent_dim, 1)
        zs = []
        for t in range(arch.T):
            x = z_prev if x_lat is None else torch.cat([x_lat[..., t:t + 1], z_prev], dim=1)
            for i, lif in enumerate(lifs):
                inputs[i].append(x)
                x = lif.step(ref._current(f"{prefix}.layers.{i}", x)[..., 0]).unsqueeze(-1)
            r = torch.randint(0, arch.k, (n, arch.latent_dim), generator=gen)
            z_prev = x[..., 0].reshape(n, arch.latent_dim, arch.k).gather(2, r.unsqueeze(2))
            zs.append(z_prev)
        return [torch.cat(inp, dim=-1) for inp in inputs], torch.cat(zs, dim=-1)

    def sampler(self, prefix: str, n: int, seed: int, x_lat=None) -> torch.Tensor:
        for _ in range(2):
            for i in range(3):
                inputs, _ = self.stepped_inputs(prefix, n, seed, x_lat)
                name = f"{prefix}.layers.{i}"
                self.calibrate(name, self.ref.affine(name, inputs[i]))
        inputs, z = self.stepped_inputs(prefix, n, seed, x_lat)
        self.rates[f"{prefix}.z"] = float(z.mean())
        return z

    def readout(self, x: torch.Tensor):
        """Scale final_layer.1 so that sum_t 0.8^(T-1-t) m_t has zero mean and unit spread."""
        sd = self.ref.sd
        coef = sd["membrane_output_layer.coef"]
        acc = torch.sum(self.ref.affine("final_layer.1", x) * coef, dim=-1)   # (N, 3, H, W)
        s = 1.0 / float(acc.std())
        sd["final_layer.1.weight"] = sd["final_layer.1.weight"] * s
        mean = (acc * s).mean((0, 2, 3))
        sd["final_layer.1.bias"] = sd["final_layer.1.bias"] * s - mean / float(coef.sum())


def make_checkpoint(path: Path) -> dict:
    gen = torch.Generator().manual_seed(WEIGHT_SEED)
    arch = ARCH
    ref = FSVAERef(initial_state_dict(arch, gen), arch)
    cal = Calibrator(ref, gen)
    n = CALIBRATION_IMAGES
    raw = load_idx_images(FASHION_MNIST_TRAIN_IMAGES, 0, 3 * n)
    images = prepare_images(rgb_composites(raw), arch.image_size)        # (n, 3, 64, 64)
    with torch.no_grad():
        x = images.unsqueeze(-1).repeat(1, 1, 1, 1, arch.T)
        x = cal.feed_forward(arch.encoder_names(), x)
        x_lat = cal.feed_forward(["before_latent_layer"], torch.flatten(x, 1, 3))
        z_post = cal.sampler("posterior", n, 1, x_lat)
        z_prior = cal.sampler("prior", n, 2)
        z = torch.cat([z_post, z_prior])
        x = cal.feed_forward(["decoder_input"], z)
        x = x.view(x.shape[0], arch.hidden[-1], 2, 2, arch.T)
        x = cal.feed_forward(arch.decoder_names() + ["final_layer.0"], x)
        cal.readout(x)
    sd = OrderedDict((k, v.contiguous()) for k, v in ref.sd.items())
    torch.save(sd, path)
    return cal.rates


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="directory to write into (created)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    pth, model = args.out / f"{NAME}.pth", args.out / f"{NAME}.fsvae"
    rates = make_checkpoint(pth)
    (args.out / "rates.json").write_text(json.dumps(rates, indent=1) + "\n")
    subprocess.run([sys.executable, str(HERE.parent / "fsvae_export.py"), str(pth), str(model),
                    "--dataset", "fashion-mnist-rgb"], check=True)
    subprocess.run([sys.executable, str(HERE / "make_golden.py"), "--checkpoint", str(pth),
                    "--out", str(args.out), "--choices", "runtime"], check=True)
    print(" ".join(f"{k}={v:.3f}" for k, v in rates.items()))


if __name__ == "__main__":
    main()
