"""The project's PyTorch reference for FSVAE inference (docs/fsvae-model.md).

It loads the published checkpoint directly (not the exported file) and keeps
the published code's structure and float32 arithmetic: tensors are
(N, C, H, W, T), convolutions are F.conv3d / F.conv_transpose3d with the
checkpoint's (..., 3, 3, 1) kernels over all steps at once, tdBN is applied
unfolded, and each LIF layer loops over T. The runtime is checked against it.

Two samplers produce the same z for the same choices r:
  * "stepped": every layer keeps its LIF state and the prior/posterior runs one
    step at a time (O(T));
  * "published": at step t the prior/posterior re-runs over the whole prefix and
    takes its last output, as the published code does (O(T^2)).
"""

import gzip
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from fsvae_arch import BN_EPS, TAU, VTH, Arch, load_checkpoint  # noqa: E402

NEAR_THRESHOLD_EPS = 1e-5
REPO = Path(__file__).resolve().parent.parent.parent
CHECKPOINT_NAME = "fashion-mnist-fsvae.pth"
# Where Debian's dataset-fashion-mnist package installs the test images.
FASHION_MNIST_TEST_IMAGES = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def default_checkpoint() -> Path:
    """The bundled checkpoint, committed in the checkout (models/README.md)."""
    return REPO / "models" / CHECKPOINT_NAME


class Trace:
    """Per spiking layer and step: spike count and the count of neurons with
    |u - Vth| <= 1e-5 (computed in float32), each an int64 tensor (N, T)."""

    def __init__(self, n: int, T: int):
        self.n, self.T = n, T
        self.spikes: Dict[str, torch.Tensor] = {}
        self.near: Dict[str, torch.Tensor] = {}
        self.neurons: Dict[str, int] = {}   # neurons per image

    def record(self, name: str, t: int, u: torch.Tensor, o: torch.Tensor):
        if name not in self.spikes:
            self.spikes[name] = torch.zeros(self.n, self.T, dtype=torch.int64)
            self.near[name] = torch.zeros(self.n, self.T, dtype=torch.int64)
            self.neurons[name] = o[0].numel()
        self.spikes[name][:, t] = o.reshape(self.n, -1).sum(1).to(torch.int64)
        self.near[name][:, t] = ((u - VTH).abs() <= NEAR_THRESHOLD_EPS).reshape(self.n, -1).sum(1)


class LIF:
    """One layer's neuron state, advanced one step at a time:
    u_t = tau*u_{t-1}*(1 - o_{t-1}) + x_t;  o_t = (u_t > Vth), compared in float32."""

    def __init__(self, name: str, trace: Optional[Trace]):
        self.name, self.trace = name, trace
        self.u = self.o = None
        self.t = 0

    def step(self, x: torch.Tensor) -> torch.Tensor:
        if self.u is None:
            self.u, self.o = torch.zeros_like(x), torch.zeros_like(x)
        self.u = TAU * self.u * (1 - self.o) + x
        self.o = torch.gt(self.u, VTH).float()
        if self.trace is not None:
            self.trace.record(self.name, self.t, self.u, self.o)
        self.t += 1
        return self.o

    def run(self, x: torch.Tensor) -> torch.Tensor:
        """All steps of x (..., T) at once, as the published LIFSpike does."""
        return torch.stack([self.step(x[..., t]) for t in range(x.shape[-1])], dim=-1)


class Chooser:
    """The sampler's r (which of the k outputs a latent takes) per step: drawn
    from a torch.Generator seeded with `seed` (torch.randint(0, k, (N*C,)) per
    step, the published draw) or taken from an injected int tensor (N, T, C)."""

    def __init__(self, n: int, arch: Arch, seed: Optional[int] = None,
                 choices: Optional[torch.Tensor] = None):
        self.n, self.arch = n, arch
        self.injected = choices
        if choices is not None:
            assert tuple(choices.shape) == (n, arch.T, arch.latent_dim), choices.shape
            assert int(choices.min()) >= 0 and int(choices.max()) < arch.k
        else:
            self.gen = torch.Generator().manual_seed(0 if seed is None else seed)
        self.drawn = []

    def draw(self, t: int) -> torch.Tensor:
        assert t == len(self.drawn)
        if self.injected is not None:
            r = self.injected[:, t].to(torch.int64)
        else:
            r = torch.randint(0, self.arch.k, (self.n * self.arch.latent_dim,),
                              generator=self.gen).view(self.n, self.arch.latent_dim)
        self.drawn.append(r)
        return r

    def pick(self, out_t: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        """z_t[c] = out_t[c*k + r[c]] for out_t (N, C*k) -> (N, C)."""
        n, C, k = out_t.shape[0], self.arch.latent_dim, self.arch.k
        return out_t.reshape(n, C, k).gather(2, r.unsqueeze(2)).squeeze(2)

    def all(self) -> torch.Tensor:
        return torch.stack(self.drawn, dim=1)   # (N, T, C)


@dataclass
class Result:
    image: torch.Tensor                 # (N, C, H, W) in [-1, 1]
    z: torch.Tensor                     # (N, T, C) float 0/1
    choices: torch.Tensor               # (N, T, C) int64
    trace: Optional[Trace] = None
    latent_x: Optional[torch.Tensor] = field(default=None, repr=False)  # (N, C, T), reconstruct only


class FSVAERef:
    def __init__(self, state_dict: Dict[str, torch.Tensor], arch: Arch):
        self.sd = {k: v.float() if v.is_floating_point() else v for k, v in state_dict.items()}
        self.arch = arch
        self.specs = {s.name: s for s in arch.layers()}

    @classmethod
    def from_checkpoint(cls, path) -> "FSVAERef":
        sd, arch = load_checkpoint(path)
        return cls(sd, arch)

    # ---- layers, as the published tdLinear / tdConv / tdConvTranspose / tdBatchNorm ----

    def _bn(self, name: str, y: torch.Tensor, alpha: float) -> torch.Tensor:
        p, sd = f"{name}.bn.", self.sd
        ix = (None, slice(None), None, None, None)
        y = alpha * VTH * (y - sd[p + "running_mean"][ix]) / torch.sqrt(sd[p + "running_var"][ix] + BN_EPS)
        return y * sd[p + "weight"][ix] + sd[p + "bias"][ix]

    def affine(self, name: str, x: torch.Tensor) -> torch.Tensor:
        """The layer's weights and bias applied to x, before tdBN: (N, out, T)
        for a linear layer, (N, C, H, W, T) for a convolution."""
        spec = self.specs[name]
        W, b = self.sd[f"{name}.weight"], self.sd[f"{name}.bias"]
        if spec.kind == "linear":   # x (N, Cin, T)
            return F.linear(x.transpose(1, 2), W, b).transpose(1, 2)
        if spec.kind == "conv":
            return F.conv3d(x, W, b, (spec.stride, spec.stride, 1), (spec.padding, spec.padding, 0))
        return F.conv_transpose3d(x, W, b, (spec.stride, spec.stride, 1), (spec.padding, spec.padding, 0),
                                  (spec.output_padding, spec.output_padding, 0))

    def _current(self, name: str, x: torch.Tensor) -> torch.Tensor:
        """The layer's input current: weights, bias and tdBN (before the LIF)."""
        spec = self.specs[name]
        y = self.affine(name, x)
        if spec.kind == "linear":
            return self._bn(name, y[:, :, None, None, :], spec.bn_alpha)[:, :, 0, 0, :]
        return self._bn(name, y, spec.bn_alpha) if spec.spiking else y

    def _spiking(self, name: str, x: torch.Tensor, trace: Optional[Trace]) -> torch.Tensor:
        return LIF(name, trace).run(self._current(name, x))

    def _stack(self, prefix: str, x: torch.Tensor, trace: Optional[Trace]) -> torch.Tensor:
        for i in range(3):
            x = self._spiking(f"{prefix}.layers.{i}", x, trace)
        return x

    # ---- encoder / decoder (the published encode() and decode(), all steps at once) ----

    def encode(self, images: torch.Tensor, trace: Optional[Trace] = None) -> torch.Tensor:
        """images (N, C, H, W) in [-1, 1] -> x_lat (N, latent_dim, T), fed directly at every step."""
        x = images.float().unsqueeze(-1).repeat(1, 1, 1, 1, self.arch.T)
        for name in self.arch.encoder_names():
            x = self._spiking(name, x, trace)
        return self._spiking("before_latent_layer", torch.flatten(x, 1, 3), trace)

    def decode(self, z: torch.Tensor, trace: Optional[Trace] = None) -> torch.Tensor:
        """z (N, latent_dim, T) -> image (N, C, H, W) = tanh(sum_t 0.8^(T-1-t) m_t)."""
        x = self._spiking("decoder_input", z, trace)
        x = x.view(x.shape[0], self.arch.hidden[-1], 2, 2, self.arch.T)
        for name in self.arch.decoder_names() + ["final_layer.0"]:
            x = self._spiking(name, x, trace)
        m = self._current("final_layer.1", x)
        return torch.tanh(torch.sum(m * self.sd["membrane_output_layer.coef"], dim=-1))

    # ---- samplers ----

    def _sample_stepped(self, prefix: str, n: int, chooser: Chooser, trace: Optional[Trace],
                        x_lat: Optional[torch.Tensor] = None) -> torch.Tensor:
        """z (N, C, T) with the prior (x_lat None) or posterior run one step at a time."""
        lifs = [LIF(f"{prefix}.layers.{i}", trace) for i in range(3)]
        z_prev = self.sd[f"{prefix}.initial_input"].repeat(n, 1, 1)     # (N, C, 1)
        zs = []
        for t in range(self.arch.T):
            x = z_prev if x_lat is None else torch.cat([x_lat[..., t:t + 1], z_prev], dim=1)
            for i, lif in enumerate(lifs):
                x = lif.step(self._current(f"{prefix}.layers.{i}", x)[..., 0]).unsqueeze(-1)
            z_prev = chooser.pick(x[..., 0], chooser.draw(t)).unsqueeze(-1)
            zs.append(z_prev)
        return torch.cat(zs, dim=-1)

    def _prior_published(self, n: int, chooser: Chooser, trace: Optional[Trace]) -> torch.Tensor:
        """PriorBernoulliSTBP.sample: re-run the prior over [z_-1, z_0..z_{t-1}] at every step."""
        z_minus_t = self.sd["prior.initial_input"].repeat(n, 1, 1)      # (N, C, 1)
        for t in range(self.arch.T):
            p_z_t = self._stack("prior", z_minus_t, trace)[..., -1]     # the last run's trace covers all T
            z_t = chooser.pick(p_z_t, chooser.draw(t)).unsqueeze(-1)
            z_minus_t = torch.cat([z_minus_t, z_t], dim=-1)
        return z_minus_t[..., 1:]

    def _posterior_published(self, x: torch.Tensor, chooser: Chooser, trace: Optional[Trace]) -> torch.Tensor:
        """PosteriorBernoulliSTBP.forward: prefix re-runs for z_0..z_{T-2}, then one full run
        whose outputs, with the same r, give the returned z (r_{T-1} is drawn last)."""
        n, T = x.shape[0], self.arch.T
        z_t_minus = self.sd["posterior.initial_input"].repeat(n, 1, 1)
        for t in range(T - 1):
            q_z_t = self._stack("posterior", torch.cat([x[..., :t + 1], z_t_minus], dim=1), None)[..., -1]
            z_t = chooser.pick(q_z_t, chooser.draw(t)).unsqueeze(-1)
            z_t_minus = torch.cat([z_t_minus, z_t], dim=-1)
        q_z = self._stack("posterior", torch.cat([x, z_t_minus], dim=1), trace)
        chooser.draw(T - 1)
        return torch.stack([chooser.pick(q_z[..., t], chooser.drawn[t]) for t in range(T)], dim=-1)

    # ---- public entry points ----

    @torch.no_grad()
    def sample_prior(self, n: int, seed: Optional[int] = None, choices: Optional[torch.Tensor] = None,
                     sampler: str = "stepped", trace: Optional[Trace] = None):
        """z (N, C, T) from the prior, and the Chooser holding the r it used."""
        chooser = Chooser(n, self.arch, seed, choices)
        if sampler == "stepped":
            return self._sample_stepped("prior", n, chooser, trace), chooser
        if sampler == "published":
            return self._prior_published(n, chooser, trace), chooser
        raise ValueError(f"unknown sampler {sampler!r}")

    @torch.no_grad()
    def generate(self, n: int, seed: Optional[int] = None, choices: Optional[torch.Tensor] = None,
                 sampler: str = "stepped", trace: bool = False) -> Result:
        tr = Trace(n, self.arch.T) if trace else None
        z, chooser = self.sample_prior(n, seed, choices, sampler, tr)
        return Result(self.decode(z, tr), z.transpose(1, 2), chooser.all(), tr)

    @torch.no_grad()
    def reconstruct(self, images: torch.Tensor, seed: Optional[int] = None,
                    choices: Optional[torch.Tensor] = None, sampler: str = "stepped",
                    trace: bool = False) -> Result:
        n = images.shape[0]
        tr = Trace(n, self.arch.T) if trace else None
        chooser = Chooser(n, self.arch, seed, choices)
        x_lat = self.encode(images, tr)
        if sampler == "stepped":
            z = self._sample_stepped("posterior", n, chooser, tr, x_lat)
        elif sampler == "published":
            z = self._posterior_published(x_lat, chooser, tr)
        else:
            raise ValueError(f"unknown sampler {sampler!r}")
        image = self.decode(z, tr)
        return Result(image, z.transpose(1, 2), chooser.all(), tr, x_lat)

    # layer names, in dataflow order, whose trace each mode records
    def generate_layers(self):
        return [f"prior.layers.{i}" for i in range(3)] + ["decoder_input"] + \
            self.arch.decoder_names() + ["final_layer.0"]

    def reconstruct_layers(self):
        return self.arch.encoder_names() + ["before_latent_layer"] + \
            [f"posterior.layers.{i}" for i in range(3)] + ["decoder_input"] + \
            self.arch.decoder_names() + ["final_layer.0"]


# ---- data ----

def load_idx_images(path=FASHION_MNIST_TEST_IMAGES, start: int = 0, count: Optional[int] = None) -> np.ndarray:
    """uint8 images (n, rows, cols) from an IDX3 file (gzip or plain)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 2051:
            raise ValueError(f"{path}: not an IDX3 image file (magic {magic})")
        end = n if count is None else min(n, start + count)
        f.seek(16 + start * rows * cols)
        data = f.read((end - start) * rows * cols)
    return np.frombuffer(data, dtype=np.uint8).reshape(end - start, rows, cols)


def prepare_images(raw: np.ndarray, size: int = 32) -> torch.Tensor:
    """As the published pipeline: PIL bilinear resize of the 8-bit image (torchvision
    Resize does the same), ToTensor (byte/255 in float32), then 2*x - 1.
    raw (n, h, w) gray -> (n, 1, size, size); raw (n, h, w, 3) RGB -> (n, 3, size, size)."""
    from PIL import Image
    mode = "L" if raw.ndim == 3 else "RGB"
    out = np.stack([np.asarray(Image.fromarray(a, mode=mode).resize((size, size), Image.BILINEAR))
                    for a in raw])
    x = torch.from_numpy(out).float().div(255)
    x = x.unsqueeze(1) if mode == "L" else x.permute(0, 3, 1, 2).contiguous()
    return 2 * x - 1


def load_fashion_mnist_test(start: int = 0, count: Optional[int] = None,
                            path=FASHION_MNIST_TEST_IMAGES, size: int = 32) -> torch.Tensor:
    return prepare_images(load_idx_images(path, start, count), size)


def rgb_composites(gray: np.ndarray) -> np.ndarray:
    """Colour images with real-image statistics from a gray data set: image i
    takes gray images 3i, 3i+1, 3i+2 as its red, green and blue planes, so the
    three channels differ (a channel-order mistake changes the result).
    (3n, h, w) -> (n, h, w, 3)."""
    n = gray.shape[0] // 3
    return np.ascontiguousarray(gray[:3 * n].reshape(n, 3, *gray.shape[1:]).transpose(0, 2, 3, 1))


def load_test_images(start: int, count: int, channels: int, size: int,
                     path=FASHION_MNIST_TEST_IMAGES) -> torch.Tensor:
    """Model inputs (count, channels, size, size): Fashion-MNIST test images
    start.. for one channel, their RGB composites (rgb_composites) for three."""
    if channels == 1:
        return load_fashion_mnist_test(start, count, path, size)
    return prepare_images(rgb_composites(load_idx_images(path, 3 * start, 3 * count)), size)
