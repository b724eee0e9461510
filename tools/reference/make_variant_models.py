#!/usr/bin/env python3
"""Build the ESVAE and TAID test models and their golden vectors, deterministically.

    python3 tools/reference/make_variant_models.py --out DIR

No trained ESVAE or TAID checkpoint is bundled, so the parity tests run on
checkpoints made here: every weight drawn from a fixed seed, then each tdBN's
running_mean and running_var set to the pre-activation statistics measured on
real Fashion-MNIST images run through the reference (so the layers fire at
realistic rates, as after training), in dataflow order. Written to DIR:

  esvae.pth        ESVAE, latent_dim 32, a plain state_dict (checkpoint.pth layout)
  esvae_best.pth   the same in the {'net': state_dict, 'epoch': n} layout (best_*.pth)
  taid.pth         FSVAE_TAID, latent_dim 128, T 16
  *.fsvae          each exported by tools/fsvae_export.py (both ESVAE layouts must
                   give the same layers)
  {esvae,taid}_{generate,reconstruct}.json   golden vectors with the draws recorded
  rates.json       each layer's measured firing rate
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from fsvae_arch import READOUT_DECAY, Arch, validate  # noqa: E402
from fsvae_ref import NEAR_THRESHOLD_EPS, REPO, Trace, load_fashion_mnist_test  # noqa: E402
from esvae_ref import ESVAERef  # noqa: E402
from taid_ref import TAIDRef  # noqa: E402
from make_golden import floats, sha256, write_json  # noqa: E402

SEEDS = (0, 1, 2, 3)
CALIBRATION_IMAGES = 64     # test images 100.. (the golden images are 0..3)


def random_state_dict(arch: Arch, seed: int):
    """Weights and biases uniform in +-1/sqrt(fan_in) (PyTorch's default bound), tdBN identity."""
    gen = torch.Generator().manual_seed(seed)
    keys = dict(arch.expected_keys())
    keys.update(arch.unused_keys())
    sd = {}
    for key, shape in keys.items():
        if key.endswith("num_batches_tracked"):
            sd[key] = torch.tensor(0)
        elif key.endswith("initial_input"):
            sd[key] = torch.zeros(shape)
        elif key == "membrane_output_layer.coef":
            sd[key] = (READOUT_DECAY ** torch.arange(arch.T - 1, -1, -1, dtype=torch.float64)).float().view(shape)
        elif key.endswith(("bn.weight", "bn.running_var")):
            sd[key] = torch.ones(shape)
        elif key.endswith(("bn.bias", "bn.running_mean")):
            sd[key] = torch.zeros(shape)
        else:
            layer = key.rsplit(".", 1)[0]
            wshape = keys.get(f"{layer}.weight", shape)
            fan_in = 1
            for d in (wshape[1:] if not layer.startswith(("decoder", "final")) else (wshape[0],) + wshape[2:]):
                fan_in *= d
            bound = 1.0 / fan_in ** 0.5
            sd[key] = (torch.rand(shape, generator=gen) * 2 - 1) * bound
    return sd


class Calibrator:
    """Sets each tdBN's running statistics from the pre-activations it sees.
    First pass: a layer is calibrated on its first call (feed-forward layers see
    all T steps then, in dataflow order); later passes: on everything it saw."""

    def __init__(self, ref):
        self.ref, self.seen = ref, {}
        self.first_call = True
        self._orig = type(ref)._bn
        ref._bn = self._bn

    def _bn(self, name, y, alpha):
        flat = y.transpose(0, 1).reshape(y.shape[1], -1).double()
        if self.first_call and name not in self.seen:
            self._set(name, flat)
        self.seen.setdefault(name, []).append(flat)
        return self._orig(self.ref, name, y, alpha)

    def _set(self, name, flat):
        self.ref.sd[f"{name}.bn.running_mean"] = flat.mean(1).float()
        self.ref.sd[f"{name}.bn.running_var"] = flat.var(1).clamp_min(1e-6).float()

    def end_pass(self):
        if not self.first_call:
            for name, parts in self.seen.items():
                self._set(name, torch.cat(parts, 1))
        self.first_call = False
        self.seen = {}

    def done(self):
        del self.ref._bn


def calibrate(ref, images, generate, passes=3):
    cal = Calibrator(ref)
    for _ in range(passes):
        ref.reconstruct(images, seed=1000)
        generate()
        cal.end_pass()
    cal.done()


def layer_rates(tr: Trace):
    return {n: float(s.sum()) / (tr.n * tr.T * tr.neurons[n]) for n, s in tr.spikes.items()}


def export(pth: Path, out: Path):
    subprocess.run([sys.executable, str(REPO / "tools" / "fsvae_export.py"), str(pth), str(out),
                    "--dataset", "fashion-mnist"], check=True, stdout=subprocess.DEVNULL)


def record(res_image, z, tr, layers, extra):
    rec = dict(extra)
    rec["z"] = z[0].to(torch.int64).tolist()
    rec["spike_counts"] = {n: tr.spikes[n][0].tolist() for n in layers}
    rec["near_threshold"] = {n: tr.near[n][0].tolist() for n in layers}
    rec["image"] = floats(res_image[0])
    return rec


def header(pth: Path, arch: Arch, mode, layers):
    return {"checkpoint": pth.name, "checkpoint_sha256": sha256(pth), "mode": mode,
            "sampler": arch.sampler, "readout": arch.readout,
            "T": arch.T, "k": arch.k, "latent_dim": arch.latent_dim,
            "image_shape": [arch.image_channels, arch.image_size, arch.image_size],
            "near_threshold_eps": NEAR_THRESHOLD_EPS, "layers": layers}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)   # the same sums on any machine
    calib = load_fashion_mnist_test(100, CALIBRATION_IMAGES)
    inputs = load_fashion_mnist_test(0, len(SEEDS))
    rates = {}

    # ---- ESVAE, latent_dim 32 (the published Fashion-MNIST/MNIST config) ----
    arch = Arch("FSVAE", 1, 32, 20, 16, "esvae_rate", "membrane_decay")
    ref = ESVAERef(random_state_dict(arch, 2023), arch)
    calibrate(ref, calib, lambda: ref.generate(CALIBRATION_IMAGES, seed=1001))
    sd = ref.sd
    assert validate(sd) == arch
    pth = args.out / "esvae.pth"
    torch.save(sd, pth)
    torch.save({"net": sd, "epoch": 7}, args.out / "esvae_best.pth")
    export(pth, args.out / "esvae.fsvae")
    export(args.out / "esvae_best.pth", args.out / "esvae_best.fsvae")
    _, _, _, tr = ref.reconstruct(calib, seed=1002, trace=True)
    rates["esvae reconstruct"] = layer_rates(tr)
    _, z, _, tr = ref.generate(CALIBRATION_IMAGES, seed=1003, trace=True)
    rates["esvae generate"] = dict(layer_rates(tr), z=float(z.mean()))
    for mode in ("generate", "reconstruct"):
        layers = ref.generate_layers() if mode == "generate" else ref.reconstruct_layers()
        images = []
        for i, seed in enumerate(SEEDS):
            if mode == "generate":
                img, z, d, tr = ref.generate(1, seed=seed, trace=True)
                extra = {"seed": seed}
            else:
                img, z, d, tr = ref.reconstruct(inputs[i:i + 1], seed=seed, trace=True)
                extra = {"test_index": i, "seed": seed, "input": floats(inputs[i])}
            extra["choices"] = torch.zeros(arch.T, arch.latent_dim, dtype=torch.int64).tolist()
            extra["gaussian"] = floats(d.gaussian[0])
            extra["uniform"] = floats(d.uniform[0])
            images.append(record(img, z, tr, layers, extra))
        write_json(args.out / f"esvae_{mode}.json", header(pth, arch, mode, layers), images)

    # ---- TAID: FSVAE (latent_dim 128) with the gated readout ----
    arch = Arch("FSVAE", 1, 128, 20, 16, "fsvae_autoregressive", "taid")
    ref = TAIDRef(random_state_dict(arch, 2024), arch)

    def prior_on_posterior():
        # As in training, the prior runs on the posterior's z (shifted a step):
        # from its own zero start it would see one constant input.
        z = ref.reconstruct(calib, seed=1001).z.transpose(1, 2)
        ref._stack("prior", torch.cat([torch.zeros_like(z[..., :1]), z[..., :-1]], dim=-1), None)
    calibrate(ref, calib, prior_on_posterior)
    sd = ref.sd
    assert validate(sd) == arch
    pth = args.out / "taid.pth"
    torch.save(sd, pth)
    export(pth, args.out / "taid.fsvae")
    res = ref.reconstruct(calib, seed=1002, trace=True)
    rates["taid reconstruct"] = dict(layer_rates(res.trace), z=float(res.z.mean()))
    res = ref.generate(CALIBRATION_IMAGES, seed=1003, trace=True)
    rates["taid generate"] = dict(layer_rates(res.trace), z=float(res.z.mean()))
    for mode in ("generate", "reconstruct"):
        layers = ref.generate_layers() if mode == "generate" else ref.reconstruct_layers()
        images = []
        for i, seed in enumerate(SEEDS):
            if mode == "generate":
                res = ref.generate(1, seed=seed, trace=True)
                extra = {"seed": seed}
            else:
                res = ref.reconstruct(inputs[i:i + 1], seed=seed, trace=True)
                extra = {"test_index": i, "seed": seed, "input": floats(inputs[i])}
            extra["choices"] = res.choices[0].tolist()
            images.append(record(res.image, res.z, res.trace, layers, extra))
        write_json(args.out / f"taid_{mode}.json", header(pth, arch, mode, layers), images)

    (args.out / "rates.json").write_text(json.dumps(rates, indent=1) + "\n")
    for model, r in rates.items():
        print(model + ": " + ", ".join(f"{n} {v:.3f}" for n, v in r.items()))


if __name__ == "__main__":
    main()
