#!/usr/bin/python3
"""Checks of tools/fsvae_export.py: a round trip of the real checkpoint, and
rejection of broken ones with no output left behind.

    /usr/bin/python3 tests/python/test_exporter.py [--checkpoint PATH]
"""

import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent.parent
EXPORTER = REPO / "tools" / "fsvae_export.py"
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "tools" / "reference"))
import fsvae_schema  # noqa: E402
from fsvae_arch import Arch  # noqa: E402
from fsvae_ref import default_checkpoint  # noqa: E402

CHECKPOINT = default_checkpoint()


def export(src, dst, *extra):
    return subprocess.run([sys.executable, str(EXPORTER), str(src), str(dst), *extra],
                          capture_output=True, text=True, timeout=120)


def folded(sd, name, alpha):
    """tdBN folded into (W, b) in PyTorch layout, written out independently of the exporter."""
    W, b = sd[name + ".weight"].double(), sd[name + ".bias"].double()
    g, beta = sd[name + ".bn.weight"].double(), sd[name + ".bn.bias"].double()
    mu, var = sd[name + ".bn.running_mean"].double(), sd[name + ".bn.running_var"].double()
    scale = alpha * 0.2 * g / torch.sqrt(var + 1e-5)
    if W.dim() == 2:
        Wf = scale[:, None] * W
    elif name.startswith("encoder"):
        Wf = scale[:, None, None, None, None] * W
    else:
        Wf = scale[None, :, None, None, None] * W
    return Wf.numpy(), (scale * (b - mu) + beta).numpy()


class RoundTrip(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        out = Path(cls.tmp.name) / "m.fsvae"
        res = export(CHECKPOINT, out, "--dataset", "fashion-mnist")
        if res.returncode != 0:
            raise AssertionError(f"export failed: {res.stderr}")
        cls.summary = res.stdout
        cls.buf = out.read_bytes()
        fb = fsvae_schema.load()
        cls.fb = fb
        cls.model = fb.Model.Model.GetRootAs(cls.buf, 0)
        cls.layers = {}
        for i in range(cls.model.LayersLength()):
            layer = cls.model.Layers(i)
            cls.layers[layer.Name().decode()] = layer
        cls.sd = torch.load(CHECKPOINT, map_location="cpu")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def w(self, name):
        return self.layers[name].WeightAsNumpy(), self.layers[name].BiasAsNumpy()

    def test_identifier_and_metadata(self):
        m = self.model
        self.assertTrue(self.fb.Model.Model.ModelBufferHasIdentifier(self.buf, 0))
        self.assertEqual(self.buf[4:8], b"FSVA")
        self.assertEqual(m.SchemaVersion(), 1)   # an FSVAE needs no newer version
        self.assertEqual(m.Sampler(), self.fb.SamplerKind.SamplerKind.FsvaeAutoregressive)
        self.assertEqual(m.Readout(), self.fb.ReadoutKind.ReadoutKind.MembraneDecay)
        self.assertEqual(m.Variant(), self.fb.Variant.Variant.FSVAE)
        self.assertEqual(m.Dataset(), b"fashion-mnist")
        self.assertIn(b"fashion-mnist-fsvae.pth", m.Source())
        self.assertEqual((m.TimeSteps(), m.K(), m.LatentDim()), (16, 20, 128))
        self.assertAlmostEqual(m.Vth(), 0.2, places=6)
        self.assertAlmostEqual(m.Tau(), 0.25, places=6)
        self.assertAlmostEqual(m.ReadoutDecay(), 0.8, places=6)
        self.assertEqual((m.ImageChannels(), m.ImageHeight(), m.ImageWidth()), (1, 32, 32))
        self.assertIn("FSVAE T=16 k=20 C=128", self.summary)

    def test_layer_names_and_shapes(self):
        LK = self.fb.LayerKind.LayerKind
        expected = (
            [(f"encoder.{i}", LK.Conv, (c, s, s), (o, s // 2, s // 2), 1.0)
             for i, (c, o, s) in enumerate([(1, 32, 32), (32, 64, 16), (64, 128, 8), (128, 256, 4)])]
            + [("before_latent_layer", LK.Linear, (256, 2, 2), (128, 1, 1), 1.0),
               ("posterior.layers.0", LK.Linear, (256, 1, 1), (256, 1, 1), 2.0),
               ("posterior.layers.1", LK.Linear, (256, 1, 1), (512, 1, 1), 2.0),
               ("posterior.layers.2", LK.Linear, (512, 1, 1), (2560, 1, 1), 2.0),
               ("prior.layers.0", LK.Linear, (128, 1, 1), (256, 1, 1), 2.0),
               ("prior.layers.1", LK.Linear, (256, 1, 1), (512, 1, 1), 2.0),
               ("prior.layers.2", LK.Linear, (512, 1, 1), (2560, 1, 1), 2.0),
               ("decoder_input", LK.Linear, (128, 1, 1), (256, 2, 2), 1.0)]
            + [(f"decoder.{i}", LK.ConvTranspose, (c, s, s), (o, 2 * s, 2 * s), 1.0)
               for i, (c, o, s) in enumerate([(256, 128, 2), (128, 64, 4), (64, 32, 8)])]
            + [("final_layer.0", LK.ConvTranspose, (32, 16, 16), (32, 32, 32), 1.0),
               ("final_layer.1", LK.ConvTranspose, (32, 32, 32), (1, 32, 32), 0.0)])
        self.assertEqual(list(self.layers), [e[0] for e in expected])
        for name, kind, ins, outs, alpha in expected:
            L = self.layers[name]
            with self.subTest(layer=name):
                self.assertEqual(L.Kind(), kind)
                self.assertEqual((L.InChannels(), L.InHeight(), L.InWidth()), ins)
                self.assertEqual((L.OutChannels(), L.OutHeight(), L.OutWidth()), outs)
                self.assertEqual(L.BnAlpha(), alpha)
                self.assertEqual(L.Spiking(), name != "final_layer.1")
                n_in, n_out = np.prod(ins), np.prod(outs)
                if kind == LK.Linear:
                    self.assertEqual((L.Kernel(), L.Stride(), L.Padding(), L.OutputPadding()), (1, 1, 0, 0))
                    self.assertEqual(L.WeightLength(), n_in * n_out)
                    self.assertEqual(L.BiasLength(), n_out)
                else:
                    stride = 1 if name == "final_layer.1" else 2
                    op = 1 if kind == LK.ConvTranspose and stride == 2 else 0
                    self.assertEqual((L.Kernel(), L.Stride(), L.Padding(), L.OutputPadding()),
                                     (3, stride, 1, op))
                    self.assertEqual(L.WeightLength(), ins[0] * 9 * outs[0])
                    self.assertEqual(L.BiasLength(), outs[0])

    def assertClose(self, got, want):
        np.testing.assert_allclose(got, np.float32(want), rtol=2e-7, atol=1e-9)

    def test_plain_linear(self):
        w, b = self.w("prior.layers.2")
        W, B = folded(self.sd, "prior.layers.2", 2.0)
        self.assertClose(w.reshape(512, 2560), W.T)     # weight[in][out]
        self.assertClose(b, B)

    def test_before_latent_layer_rows_are_channel_last(self):
        w, b = self.w("before_latent_layer")
        W, B = folded(self.sd, "before_latent_layer", 1.0)   # (128, 1024), inputs c*4 + h*2 + x
        w = w.reshape(1024, 128)
        for c, y, x in [(0, 0, 0), (0, 0, 1), (0, 1, 0), (1, 0, 0), (255, 1, 1), (77, 1, 0)]:
            self.assertClose(w[(y * 2 + x) * 256 + c], W[:, c * 4 + y * 2 + x])
        self.assertClose(b, B)

    def test_decoder_input_columns_and_bias_are_channel_last(self):
        w, b = self.w("decoder_input")
        W, B = folded(self.sd, "decoder_input", 1.0)         # (1024, 128), outputs c*4 + h*2 + x
        w = w.reshape(128, 1024)
        for c in range(256):
            for y in range(2):
                for x in range(2):
                    ours, theirs = (y * 2 + x) * 256 + c, c * 4 + y * 2 + x
                    self.assertClose(w[:, ours], W[theirs])
                    self.assertClose(b[ours], B[theirs])

    def test_conv_layout(self):
        w, b = self.w("encoder.1")
        W, B = folded(self.sd, "encoder.1", 1.0)              # (cout, cin, ky, kx, 1)
        self.assertClose(w.reshape(32, 3, 3, 64), np.einsum("oiyx->iyxo", W[..., 0]))
        self.assertClose(w.reshape(32, 3, 3, 64)[5, 2, 0, 7], W[7, 5, 2, 0, 0])
        self.assertClose(b, B)

    def test_conv_transpose_layout(self):
        w, b = self.w("decoder.0")
        W, B = folded(self.sd, "decoder.0", 1.0)              # (cin, cout, ky, kx, 1)
        self.assertClose(w.reshape(256, 3, 3, 128), np.einsum("ioyx->iyxo", W[..., 0]))
        self.assertClose(w.reshape(256, 3, 3, 128)[200, 0, 1, 100], W[200, 100, 0, 1, 0])
        self.assertClose(b, B)

    def test_final_layer_is_unfolded(self):
        w, b = self.w("final_layer.1")
        W, B = self.sd["final_layer.1.weight"], self.sd["final_layer.1.bias"]
        np.testing.assert_array_equal(w.reshape(32, 3, 3, 1), np.einsum("ioyx->iyxo", W[..., 0].numpy()))
        np.testing.assert_array_equal(b, B.numpy())


def synthetic_state_dict(arch):
    """Random weights with every key and shape `arch` expects (buffers as the published code sets them)."""
    g = torch.Generator().manual_seed(0)
    sd = {}
    for key, shape in arch.expected_keys().items():
        if key.endswith("num_batches_tracked"):
            sd[key] = torch.tensor(1)
        elif key.endswith("initial_input"):
            sd[key] = torch.zeros(shape)
        elif key.endswith("coef"):
            sd[key] = torch.pow(0.8, torch.arange(arch.T - 1, -1, -1))[None, None, None, None, :]
        elif key.endswith("running_var"):
            sd[key] = torch.rand(shape, generator=g) + 0.5
        else:
            sd[key] = torch.randn(shape, generator=g) * 0.1
    return sd


class Int8Export(unittest.TestCase):
    """--precision int8: the float export's weights, quantized per output channel."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = Path(cls.tmp.name)
        for prec in ("fp32", "int8"):
            res = export(CHECKPOINT, d / f"{prec}.fsvae", "--precision", prec)
            if res.returncode != 0:
                raise AssertionError(f"export failed: {res.stderr}")
        res = export(CHECKPOINT, d / "mixed.fsvae", "--precision", "int8", "--fp32-layers", "prior.layers.2")
        if res.returncode != 0:
            raise AssertionError(f"export failed: {res.stderr}")
        fb = fsvae_schema.load()
        cls.models, cls.versions = {}, {}
        for name in ("fp32", "int8", "mixed"):
            buf = (d / f"{name}.fsvae").read_bytes()
            m = fb.Model.Model.GetRootAs(buf, 0)
            cls.versions[name] = m.SchemaVersion()
            cls.models[name] = {m.Layers(i).Name().decode(): m.Layers(i) for i in range(m.LayersLength())}
        cls.size = {n: (d / f"{n}.fsvae").stat().st_size for n in ("fp32", "int8", "mixed")}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_schema_version(self):
        self.assertEqual(self.versions, {"fp32": 1, "int8": 3, "mixed": 3})

    def test_which_layers_are_int8(self):
        for name, L in self.models["int8"].items():
            with self.subTest(layer=name):
                int8 = name not in ("encoder.0", "final_layer.1")
                self.assertEqual(not L.WeightI8IsNone(), int8)
                self.assertEqual(L.WeightLength() == 0, int8)
        self.assertTrue(self.models["mixed"]["prior.layers.2"].WeightI8IsNone())
        self.assertFalse(self.models["mixed"]["prior.layers.1"].WeightI8IsNone())
        self.assertLess(self.size["int8"], 4.5e6)
        self.assertLess(self.size["int8"], self.size["mixed"])
        self.assertLess(self.size["mixed"], self.size["fp32"])

    def test_per_channel_quantization(self):
        # Linear: channel = column (output neuron); convolutions: cout, the last axis.
        for name in ("prior.layers.2", "decoder_input", "encoder.1", "decoder.0", "final_layer.0"):
            f, q = self.models["fp32"][name], self.models["int8"][name]
            w = f.WeightAsNumpy().astype(np.float64).reshape(-1, f.BiasLength())
            qs = q.WeightI8AsNumpy().astype(np.int64).reshape(w.shape)
            scale = q.WeightScaleAsNumpy().astype(np.float64)
            with self.subTest(layer=name):
                np.testing.assert_array_equal(q.BiasAsNumpy(), f.BiasAsNumpy())  # bias stays float
                self.assertEqual(scale.size, f.BiasLength())
                self.assertLessEqual(np.abs(qs).max(), 127)
                np.testing.assert_array_equal(np.abs(qs).max(axis=0)[scale > 0], 127)
                # Each weight is within half a step of its channel's grid
                # (float32 rounding of the folded weight aside).
                err = np.abs(w - scale[None, :] * qs)
                self.assertTrue(np.all(err <= 0.5 * scale[None, :] * (1 + 1e-5) + 1e-12))

    def test_fp32_layers_needs_int8_and_a_real_layer(self):
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "m.fsvae"
            res = export(CHECKPOINT, out, "--fp32-layers", "prior.layers.2")
            self.assertNotEqual(res.returncode, 0)
            self.assertIn("--fp32-layers needs --precision int8", res.stderr)
            res = export(CHECKPOINT, out, "--precision", "int8", "--fp32-layers", "prior.layers.9")
            self.assertNotEqual(res.returncode, 0)
            self.assertIn("no layer 'prior.layers.9'", res.stderr)
            self.assertFalse(out.exists())


class LargeVariant(unittest.TestCase):
    def test_fsvae_large_is_detected_and_exported(self):
        arch = Arch("FSVAELarge", image_channels=3, latent_dim=16, k=4, T=4)
        with tempfile.TemporaryDirectory() as d:
            src, out = Path(d) / "large.pth", Path(d) / "large.fsvae"
            torch.save(synthetic_state_dict(arch), src)
            res = export(src, out, "--dataset", "celeba")
            self.assertEqual(res.returncode, 0, res.stderr)
            buf = out.read_bytes()
        m = fsvae_schema.load().Model.Model.GetRootAs(buf, 0)
        self.assertEqual(m.Variant(), fsvae_schema.load().Variant.Variant.FSVAELarge)
        self.assertEqual((m.TimeSteps(), m.K(), m.LatentDim()), (4, 4, 16))
        self.assertEqual((m.ImageChannels(), m.ImageHeight(), m.ImageWidth()), (3, 64, 64))
        names = [m.Layers(i).Name().decode() for i in range(m.LayersLength())]
        self.assertEqual(names[:6], [f"encoder.{i}" for i in range(5)] + ["before_latent_layer"])
        self.assertEqual(names[-7:], ["decoder_input"] + [f"decoder.{i}" for i in range(4)]
                         + ["final_layer.0", "final_layer.1"])
        bl, di = m.Layers(5), m.Layers(names.index("decoder_input"))
        self.assertEqual((bl.InChannels(), bl.InHeight(), bl.InWidth(), bl.OutChannels()), (512, 2, 2, 16))
        self.assertEqual((di.OutChannels(), di.OutHeight(), di.OutWidth()), (512, 2, 2))


class Rejects(unittest.TestCase):
    """Each broken checkpoint: non-zero exit, stderr names the key, no file left."""

    @classmethod
    def setUpClass(cls):
        cls.sd = torch.load(CHECKPOINT, map_location="cpu")

    def expect_failure(self, sd, key):
        with tempfile.TemporaryDirectory() as d:
            src, out = Path(d) / "bad.pth", Path(d) / "out" / "m.fsvae"
            out.parent.mkdir()
            torch.save(sd, src)
            res = export(src, out)
            self.assertNotEqual(res.returncode, 0)
            self.assertIn(key, res.stderr)
            self.assertEqual(os.listdir(out.parent), [], "output directory not left empty")
            return res.stderr

    def test_missing_key(self):
        sd = dict(self.sd)
        del sd["decoder.1.bn.running_var"]
        err = self.expect_failure(sd, "decoder.1.bn.running_var")
        self.assertIn("missing", err)
        self.assertIn("(64,)", err)

    def test_unexpected_key(self):
        sd = dict(self.sd)
        sd["decoder.9.weight"] = torch.zeros(3)
        self.assertIn("unexpected", self.expect_failure(sd, "decoder.9.weight"))

    def test_misshaped_key(self):
        sd = dict(self.sd)
        sd["prior.layers.1.weight"] = sd["prior.layers.1.weight"][:, :255].clone()
        err = self.expect_failure(sd, "prior.layers.1.weight")
        self.assertIn("(512, 256)", err)
        self.assertIn("(512, 255)", err)
        self.assertEqual(len(err.strip().splitlines()), 1)

    def test_nan(self):
        sd = dict(self.sd)
        sd["encoder.2.bias"] = sd["encoder.2.bias"].clone()
        sd["encoder.2.bias"][3] = float("nan")
        self.assertIn("NaN", self.expect_failure(sd, "encoder.2.bias"))

    def test_inf(self):
        sd = dict(self.sd)
        sd["decoder_input.bn.running_var"] = sd["decoder_input.bn.running_var"].clone()
        sd["decoder_input.bn.running_var"][0] = float("inf")
        self.assertIn("Inf", self.expect_failure(sd, "decoder_input.bn.running_var"))

    def test_nonexistent_input(self):
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "m.fsvae"
            res = export(Path(d) / "no-such.pth", out)
            self.assertNotEqual(res.returncode, 0)
            self.assertIn("no-such.pth", res.stderr)
            self.assertEqual(len(res.stderr.strip().splitlines()), 1)
            self.assertFalse(out.exists())

    def test_existing_output_survives_a_failed_export(self):
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "m.fsvae"
            out.write_bytes(b"previous")
            res = export(Path(d) / "no-such.pth", out)
            self.assertNotEqual(res.returncode, 0)
            self.assertEqual(out.read_bytes(), b"previous")


if __name__ == "__main__":
    if "--checkpoint" in sys.argv:
        i = sys.argv.index("--checkpoint")
        CHECKPOINT = Path(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    unittest.main()
