"""The FSVAE architecture (and its ESVAE and TAID successors) as a published checkpoint implies it.

Shared by the exporter and the reference implementation: which variant a
state_dict holds, every key it must contain with its shape, and the geometry
of each layer (see docs/fsvae-model.md and docs/models.md). Nothing here folds
or runs anything.
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import torch

VTH = 0.2
TAU = 0.25
BN_EPS = 1e-5
READOUT_DECAY = 0.8

# Hidden channels of the published models, keyed by variant name; the encoder
# has one conv per entry and ends on a 2x2 map.
HIDDEN_DIMS = {"FSVAE": (32, 64, 128, 256), "FSVAELarge": (32, 64, 128, 256, 512)}
VARIANT_IDS = {"FSVAE": 0, "FSVAELarge": 1}
# The sampler and readout kinds, as the schema numbers them (formats/fsvae.fbs).
SAMPLER_IDS = {"fsvae_autoregressive": 0, "esvae_rate": 1}
READOUT_IDS = {"membrane_decay": 0, "taid": 1}

Shape = Tuple[int, ...]


class CheckpointError(Exception):
    """A state_dict that is not a well-formed FSVAE checkpoint; args are one line per problem."""


@dataclass(frozen=True)
class LayerSpec:
    name: str               # checkpoint prefix
    kind: str               # "linear" | "conv" | "convT"
    in_shape: Tuple[int, int, int]    # (C, H, W)
    out_shape: Tuple[int, int, int]
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    output_padding: int = 0
    bn_alpha: float = 0.0   # 0: no tdBN, no LIF
    weight_shape: Shape = ()
    has_bias: bool = True   # False: no bias key (the file stores zeros)

    @property
    def spiking(self) -> bool:
        return self.bn_alpha != 0.0


@dataclass(frozen=True)
class Arch:
    variant: str
    image_channels: int
    latent_dim: int
    k: int
    T: int
    sampler: str = "fsvae_autoregressive"
    readout: str = "membrane_decay"

    @property
    def hidden(self) -> Tuple[int, ...]:
        return HIDDEN_DIMS[self.variant]

    @property
    def image_size(self) -> int:
        return 2 << len(self.hidden)

    def encoder_names(self) -> List[str]:
        return [f"encoder.{i}" for i in range(len(self.hidden))]

    def decoder_names(self) -> List[str]:
        return [f"decoder.{i}" for i in range(len(self.hidden) - 1)]

    def layers(self) -> List[LayerSpec]:
        """Every layer in the file's order: encoder, before_latent_layer,
        posterior, prior, decoder_input, decoder, final_layer.0/1."""
        C, k, hid = self.latent_dim, self.k, self.hidden
        out: List[LayerSpec] = []

        def conv(name, cin, cout, size, alpha):
            out.append(LayerSpec(name, "conv", (cin, size, size), (cout, size // 2, size // 2),
                                 3, 2, 1, 0, alpha, (cout, cin, 3, 3, 1)))

        def conv_t(name, cin, cout, size, alpha, stride=2, output_padding=1):
            osize = size * stride
            out.append(LayerSpec(name, "convT", (cin, size, size), (cout, osize, osize),
                                 3, stride, 1, output_padding, alpha, (cin, cout, 3, 3, 1)))

        def linear(name, in_shape, out_shape, alpha):
            n_in = in_shape[0] * in_shape[1] * in_shape[2]
            n_out = out_shape[0] * out_shape[1] * out_shape[2]
            out.append(LayerSpec(name, "linear", in_shape, out_shape, bn_alpha=alpha,
                                 weight_shape=(n_out, n_in)))

        size, cin = self.image_size, self.image_channels
        for name, cout in zip(self.encoder_names(), hid):
            conv(name, cin, cout, size, 1.0)
            size, cin = size // 2, cout
        linear("before_latent_layer", (hid[-1], 2, 2), (C, 1, 1), 1.0)
        if self.sampler == "fsvae_autoregressive":
            out.extend(self.autoregressive_layers())
        else:   # ESVAE: prior and posterior are unused; the rates' Linear replaces them
            linear("sample_layer.0", (C, 1, 1), (C, 1, 1), 0.0)
        linear("decoder_input", (C, 1, 1), (hid[-1], 2, 2), 1.0)
        rev = hid[::-1]
        size = 2
        for i, name in enumerate(self.decoder_names()):
            conv_t(name, rev[i], rev[i + 1], size, 1.0)
            size *= 2
        conv_t("final_layer.0", hid[0], hid[0], size, 1.0)
        conv_t("final_layer.1", hid[0], self.image_channels, size * 2, 0.0, stride=1, output_padding=0)
        if self.readout == "taid":   # the gate across steps: Conv1d(T, T, 1, bias=False)
            out.append(LayerSpec("membrane_output_layer.conv", "linear", (self.T, 1, 1), (self.T, 1, 1),
                                 weight_shape=(self.T, self.T, 1), has_bias=False))
        return out

    def autoregressive_layers(self) -> List[LayerSpec]:
        """FSVAE's posterior and prior (in an ESVAE checkpoint: present, unused)."""
        C, k = self.latent_dim, self.k
        out = []
        for prefix, c0 in (("posterior", 2 * C), ("prior", C)):
            for i, (n_in, n_out) in enumerate(((c0, 2 * C), (2 * C, 4 * C), (4 * C, C * k))):
                out.append(LayerSpec(f"{prefix}.layers.{i}", "linear", (n_in, 1, 1), (n_out, 1, 1),
                                     bn_alpha=2.0, weight_shape=(n_out, n_in)))
        return out

    def unused_keys(self) -> Dict[str, Shape]:
        """Keys a checkpoint of this kind holds but the model never uses: accepted,
        not checked (ESVAE's prior and posterior, whose BN statistics are never
        trained; TAID's conv_c)."""
        keys: Dict[str, Shape] = {}
        if self.sampler == "esvae_rate":
            keys.update(_layer_keys(self.autoregressive_layers()))
            keys["prior.initial_input"] = (1, self.latent_dim, 1)
            keys["posterior.initial_input"] = (1, self.latent_dim, 1)
        if self.readout == "taid":
            keys["membrane_output_layer.conv_c.weight"] = (1, 1, 4)
        return keys

    def layer(self, name: str) -> LayerSpec:
        return next(s for s in self.layers() if s.name == name)

    def expected_keys(self) -> Dict[str, Shape]:
        keys = _layer_keys(self.layers())
        if self.sampler == "fsvae_autoregressive":
            keys["prior.initial_input"] = (1, self.latent_dim, 1)
            keys["posterior.initial_input"] = (1, self.latent_dim, 1)
        if self.readout == "membrane_decay":
            keys["membrane_output_layer.coef"] = (1, 1, 1, 1, self.T)
        return keys


def _layer_keys(specs) -> Dict[str, Shape]:
    keys: Dict[str, Shape] = {}
    for s in specs:
        keys[f"{s.name}.weight"] = s.weight_shape
        if not s.has_bias:
            continue
        keys[f"{s.name}.bias"] = (s.out_shape[0] if s.kind != "linear"
                                  else s.out_shape[0] * s.out_shape[1] * s.out_shape[2],)
        if s.spiking:
            n = keys[f"{s.name}.bias"]
            for leaf in ("weight", "bias", "running_mean", "running_var"):
                keys[f"{s.name}.bn.{leaf}"] = n
            keys[f"{s.name}.bn.num_batches_tracked"] = ()
    return keys


def _shape(sd, key) -> Optional[Shape]:
    v = sd.get(key)
    return tuple(v.shape) if isinstance(v, torch.Tensor) else None


def detect(sd) -> Arch:
    """Infer the variant and sizes from keys and shapes; raise CheckpointError if impossible."""
    def need(key, ndim):
        shape = _shape(sd, key)
        if shape is None:
            raise CheckpointError(f"{key}: missing (needed to detect the architecture)")
        if len(shape) != ndim:
            raise CheckpointError(f"{key}: expected a {ndim}-d tensor, found shape {shape}")
        return shape

    n_enc = 0
    while f"encoder.{n_enc}.weight" in sd:
        n_enc += 1
    variant = next((v for v, h in HIDDEN_DIMS.items() if len(h) == n_enc), None)
    if variant is None:
        raise CheckpointError(f"encoder.{n_enc}.weight: found {n_enc} encoder convs "
                              f"(encoder.0..), expected 4 (FSVAE) or 5 (FSVAELarge)")
    image_channels = need("encoder.0.weight", 5)[1]
    C = need("before_latent_layer.weight", 2)[0]
    # ESVAE names its rates' Linear; TAID its gate across steps.
    sampler = "esvae_rate" if "sample_layer.0.weight" in sd else "fsvae_autoregressive"
    readout = "taid" if "membrane_output_layer.conv.weight" in sd else "membrane_decay"
    if sampler == "fsvae_autoregressive" or "prior.layers.2.weight" in sd:
        rows = need("prior.layers.2.weight", 2)[0]
        if C == 0 or rows % C != 0 or rows == 0:
            raise CheckpointError(f"prior.layers.2.weight: expected rows a positive multiple of "
                                  f"latent_dim {C}, found shape {_shape(sd, 'prior.layers.2.weight')}")
        k = rows // C
    else:
        k = 1   # ESVAE's k only sized its unused prior
    T = need("membrane_output_layer.conv.weight", 3)[0] if readout == "taid" else \
        need("membrane_output_layer.coef", 5)[-1]
    return Arch(variant, image_channels, C, k, T, sampler, readout)


def unwrap(obj):
    """A state_dict, or the value of a checkpoint dict's 'state_dict' or 'net' key
    (ESVAE's best_*.pth hold {'net': state_dict, 'epoch': n})."""
    for key in ("state_dict", "net"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            obj = obj[key]
            break
    if not isinstance(obj, dict):
        raise CheckpointError(f"expected a state_dict (a dict of tensors), found {type(obj).__name__}")
    return obj


def validate(sd) -> Arch:
    """Detect the architecture and check every key, shape and value; raise
    CheckpointError with one line per problem."""
    arch = detect(sd)
    expected = arch.expected_keys()
    unused = arch.unused_keys()
    problems = []
    for key, shape in expected.items():
        found = _shape(sd, key)
        if key not in sd:
            problems.append(f"{key}: missing (expected shape {shape})")
        elif found is None:
            problems.append(f"{key}: expected a tensor of shape {shape}, found {type(sd[key]).__name__}")
        elif found != shape:
            problems.append(f"{key}: expected shape {shape}, found {found}")
    for key in sd:
        if key not in expected and key not in unused:
            problems.append(f"{key}: unexpected key (shape {_shape(sd, key)})")
    for key, shape in expected.items():
        v = sd.get(key)
        if not isinstance(v, torch.Tensor) or tuple(v.shape) != shape or not v.is_floating_point():
            continue
        if torch.isnan(v).any():
            problems.append(f"{key}: contains NaN")
        elif torch.isinf(v).any():
            problems.append(f"{key}: contains Inf")
    if problems:
        raise CheckpointError(*problems)
    # The published code fixes these buffers; other values would change the model's semantics.
    coef = READOUT_DECAY ** torch.arange(arch.T - 1, -1, -1, dtype=torch.float64)
    if arch.readout == "membrane_decay" and not torch.allclose(
            sd["membrane_output_layer.coef"].double().flatten(), coef, rtol=1e-6, atol=0):
        problems.append(f"membrane_output_layer.coef: expected {READOUT_DECAY}^(T-1-t), "
                        f"found {sd['membrane_output_layer.coef'].flatten().tolist()}")
    for key in ("prior.initial_input", "posterior.initial_input"):
        if key in expected and sd[key].any():
            problems.append(f"{key}: expected all zeros")
    if problems:
        raise CheckpointError(*problems)
    return arch


def load_checkpoint(path) -> Tuple[Dict[str, torch.Tensor], Arch]:
    """torch.load a checkpoint on the CPU, validate it, return (state_dict, arch)."""
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file")
    except Exception as e:  # torch raises many kinds for a file that is not a checkpoint
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({type(e).__name__}: "
                              f"{str(e).splitlines()[0] if str(e) else ''})")
    sd = unwrap(obj)
    return sd, validate(sd)
