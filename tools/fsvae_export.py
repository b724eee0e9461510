#!/usr/bin/python3
"""Export a published FSVAE checkpoint to the fsvae-rt FlatBuffer format.

    /usr/bin/python3 tools/fsvae_export.py IN.pth OUT.fsvae [--dataset NAME]
        [--precision fp32|int8] [--fp32-layers NAME,...]

IN.pth is a state_dict saved by the published FSVAE, ESVAE or TAID code (or a
dict holding one under 'state_dict' or 'net'); which one follows from its keys. The exporter checks
every key, shape and value, folds tdBN into each layer in float64 (then rounds
to float32) and writes the weights in the channel-last, event-major layouts
that formats/fsvae.fbs describes. With --precision int8 every spiking layer fed
by spikes (all but encoder.0, whose input is the image) is quantized after the
fold, symmetrically per output channel; --fp32-layers keeps the named ones in
float (mixed precision). On any error it prints one line per problem
to stderr, exits with status 1 and leaves no output file behind.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

import fsvae_arch as arch_mod
import fsvae_schema
from fsvae_arch import BN_EPS, READOUT_DECAY, TAU, VTH, CheckpointError

KIND_NAMES = {"linear": "Linear", "conv": "Conv", "convT": "ConvTranspose"}


def fold(sd, spec):
    """Fold tdBN into (W, b), in float64 and PyTorch layout.

    bn(y) = alpha*Vth*(y - mean)/sqrt(var + eps)*gamma + beta  is affine in y, so with
    s = gamma*alpha*Vth/sqrt(var + eps):  W' = s*W (per output channel), b' = s*(b - mean) + beta.
    """
    W = sd[f"{spec.name}.weight"].double().numpy()
    if not spec.has_bias:   # TAID's gate: Conv1d(T, T, 1) weight (T, T, 1), no bias
        W = W[..., 0]
        return W, np.zeros(W.shape[0])
    b = sd[f"{spec.name}.bias"].double().numpy()
    if not spec.spiking:
        return W, b
    p = f"{spec.name}.bn."
    gamma, beta, mean, var = (sd[p + n].double().numpy()
                              for n in ("weight", "bias", "running_mean", "running_var"))
    s = gamma * spec.bn_alpha * VTH / np.sqrt(var + BN_EPS)
    out_axis = 1 if spec.kind == "convT" else 0   # ConvTranspose weights are (cin, cout, ...)
    bshape = [1] * W.ndim
    bshape[out_axis] = -1
    return W * s.reshape(bshape), s * (b - mean) + beta


def to_file_layout(spec, W, b):
    """PyTorch layout -> the schema's layout, as flat float32 arrays (weight, bias).

    Linear: weight[in][out]. A map-shaped input or output (before_latent_layer,
    decoder_input) is re-indexed from PyTorch's c*H*W + h*W + w to (h*W + w)*C + c.
    Conv (cout,cin,ky,kx,1) and ConvTranspose (cin,cout,ky,kx,1): weight[cin][ky][kx][cout].
    """
    if spec.kind == "linear":
        Wt = W.T                                   # (in, out), rows/cols in PyTorch order
        ci, hi, wi = spec.in_shape
        co, ho, wo = spec.out_shape
        Wt = Wt.reshape(ci, hi, wi, -1).transpose(1, 2, 0, 3).reshape(hi * wi * ci, -1)
        Wt = Wt.reshape(-1, co, ho, wo).transpose(0, 2, 3, 1).reshape(-1, ho * wo * co)
        b = b.reshape(co, ho, wo).transpose(1, 2, 0)
        W = Wt
    elif spec.kind == "conv":
        W = W[..., 0].transpose(1, 2, 3, 0)
    else:
        W = W[..., 0].transpose(0, 2, 3, 1)
    return (np.ascontiguousarray(W, dtype=np.float32).reshape(-1),
            np.ascontiguousarray(b, dtype=np.float32).reshape(-1))


def schema_version(arch, int8=False):
    """The oldest version that can hold the model: 1 for an FSVAE (its file is
    byte for byte what earlier exporters wrote, and older runtimes read it),
    2 where the sampler or readout kind is another, 3 with int8 layers
    (formats/fsvae.fbs)."""
    if int8:
        return 3
    if arch.sampler == "fsvae_autoregressive" and arch.readout == "membrane_decay":
        return 1
    return 2


def quantizable(spec):
    """Layers the runtime accepts int8 weights for: spiking, fed by spikes."""
    return spec.spiking and spec.name != "encoder.0"


def quantize(w, channels):
    """Per-output-channel symmetric int8 of a file-layout weight (channel = index
    mod channels): scale = max|w| / 127 (float32), q = round(w / scale) in [-127, 127].
    Returns (q as int8, scale as float32)."""
    cols = w.astype(np.float64).reshape(-1, channels)
    scale = (np.abs(cols).max(axis=0) / 127.0).astype(np.float32)
    safe = np.where(scale > 0, scale.astype(np.float64), 1.0)
    q = np.clip(np.rint(cols / safe), -127, 127).astype(np.int8)
    return q.reshape(-1), scale


def build(sd, arch, dataset, source, int8_layers=()):
    """Serialize the model; returns (bytes, number of stored floats).
    Layers named in int8_layers are stored as int8 with per-channel scales."""
    fb = fsvae_schema.load()
    import flatbuffers

    specs = arch.layers()
    arrays = [to_file_layout(s, *fold(sd, s)) for s in specs]
    n_floats = sum(w.size + b.size for w, b in arrays)
    builder = flatbuffers.Builder(4 * n_floats + (1 << 16))
    L = fb.Layer
    layer_offsets = []
    for spec, (w, b) in zip(specs, arrays):
        name = builder.CreateString(spec.name)
        q_off = s_off = None
        if spec.name in int8_layers:
            q, scale = quantize(w, b.size)
            q_off = builder.CreateNumpyVector(q)
            s_off = builder.CreateNumpyVector(scale)
            w = np.zeros(0, dtype=np.float32)
        w_off = builder.CreateNumpyVector(w)
        b_off = builder.CreateNumpyVector(b)
        L.LayerStart(builder)
        L.LayerAddName(builder, name)
        L.LayerAddKind(builder, getattr(fb.LayerKind.LayerKind, KIND_NAMES[spec.kind]))
        L.LayerAddInChannels(builder, spec.in_shape[0])
        L.LayerAddInHeight(builder, spec.in_shape[1])
        L.LayerAddInWidth(builder, spec.in_shape[2])
        L.LayerAddOutChannels(builder, spec.out_shape[0])
        L.LayerAddOutHeight(builder, spec.out_shape[1])
        L.LayerAddOutWidth(builder, spec.out_shape[2])
        L.LayerAddKernel(builder, spec.kernel)
        L.LayerAddStride(builder, spec.stride)
        L.LayerAddPadding(builder, spec.padding)
        L.LayerAddOutputPadding(builder, spec.output_padding)
        L.LayerAddSpiking(builder, spec.spiking)
        L.LayerAddBnAlpha(builder, spec.bn_alpha)
        L.LayerAddWeight(builder, w_off)
        L.LayerAddBias(builder, b_off)
        if q_off is not None:
            L.LayerAddWeightI8(builder, q_off)
            L.LayerAddWeightScale(builder, s_off)
        layer_offsets.append(L.LayerEnd(builder))

    M = fb.Model
    M.ModelStartLayersVector(builder, len(layer_offsets))
    for off in reversed(layer_offsets):
        builder.PrependUOffsetTRelative(off)
    layers = builder.EndVector()
    dataset_off = builder.CreateString(dataset)
    source_off = builder.CreateString(source)
    version = schema_version(arch, bool(int8_layers))
    M.ModelStart(builder)
    M.ModelAddSchemaVersion(builder, version)
    M.ModelAddVariant(builder, arch_mod.VARIANT_IDS[arch.variant])
    M.ModelAddDataset(builder, dataset_off)
    M.ModelAddSource(builder, source_off)
    M.ModelAddTimeSteps(builder, arch.T)
    M.ModelAddK(builder, arch.k)
    M.ModelAddLatentDim(builder, arch.latent_dim)
    M.ModelAddVth(builder, VTH)
    M.ModelAddTau(builder, TAU)
    M.ModelAddReadoutDecay(builder, READOUT_DECAY)
    M.ModelAddImageChannels(builder, arch.image_channels)
    M.ModelAddImageHeight(builder, arch.image_size)
    M.ModelAddImageWidth(builder, arch.image_size)
    M.ModelAddLayers(builder, layers)
    if version >= 2:
        M.ModelAddSampler(builder, arch_mod.SAMPLER_IDS[arch.sampler])
        M.ModelAddReadout(builder, arch_mod.READOUT_IDS[arch.readout])
    builder.Finish(M.ModelEnd(builder), file_identifier=fsvae_schema.FILE_IDENTIFIER)
    return bytes(builder.Output()), n_floats


def write_atomically(path: Path, data: bytes):
    """Write to a temporary file beside `path`, then rename it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)   # mkstemp creates 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint", type=Path, help="state_dict .pth saved by the published FSVAE code")
    ap.add_argument("output", type=Path, help="the .fsvae file to write")
    ap.add_argument("--dataset", default="unknown", help="data set the checkpoint was trained on, "
                    "e.g. fashion-mnist (stored as metadata)")
    ap.add_argument("--precision", choices=("fp32", "int8"), default="fp32",
                    help="int8: spiking layers fed by spikes get int8 weights, one scale per "
                    "output channel (default: fp32)")
    ap.add_argument("--fp32-layers", default="", metavar="NAME,...",
                    help="with --precision int8, layers kept in fp32 (mixed precision)")
    args = ap.parse_args(argv)
    prog = Path(__file__).name

    if not args.output.parent.is_dir():
        print(f"{prog}: error: {args.output.parent}: output directory does not exist", file=sys.stderr)
        return 1
    try:
        sd, arch = arch_mod.load_checkpoint(args.checkpoint)
    except CheckpointError as e:
        for line in e.args:
            print(f"{prog}: error: {line}", file=sys.stderr)
        return 1
    keep = [n for n in args.fp32_layers.split(",") if n]
    if keep and args.precision != "int8":
        print(f"{prog}: error: --fp32-layers needs --precision int8", file=sys.stderr)
        return 1
    names = [s.name for s in arch.layers()]
    for n in keep:
        if n not in names:
            print(f"{prog}: error: --fp32-layers: no layer {n!r} in this {arch.variant} model",
                  file=sys.stderr)
            return 1
    int8_layers = ([s.name for s in arch.layers() if quantizable(s) and s.name not in keep]
                   if args.precision == "int8" else [])
    data, n_floats = build(sd, arch, args.dataset, f"{args.checkpoint.name} via {prog}", int8_layers)
    write_atomically(args.output, data)
    n_params = sum(v.numel() for key, v in sd.items() if key.endswith((".weight", ".bias")))
    print(f"{args.output}: {arch.variant} T={arch.T} k={arch.k} C={arch.latent_dim} "
          f"image={arch.image_channels}x{arch.image_size}x{arch.image_size} "
          f"parameters={n_params} folded_floats={n_floats} bytes={len(data)} "
          f"sampler={arch.sampler} readout={arch.readout} precision={args.precision} "
          f"int8_layers={len(int8_layers)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
