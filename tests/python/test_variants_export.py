"""The exporter on ESVAE and TAID checkpoints: kinds told apart by keys and
shapes, both ESVAE file layouts, latent_dim from the shapes, ESVAE's unused
prior/posterior accepted unchecked, and one-line errors for a broken file."""

import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "tools" / "reference"))
from fsvae_arch import Arch, CheckpointError, unwrap, validate  # noqa: E402
from make_variant_models import random_state_dict  # noqa: E402
import fsvae_schema  # noqa: E402

EXPORT = REPO / "tools" / "fsvae_export.py"


class VariantExport(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def export(self, obj, name):
        pth, out = self.dir / f"{name}.pth", self.dir / f"{name}.fsvae"
        torch.save(obj, pth)
        res = subprocess.run([sys.executable, str(EXPORT), str(pth), str(out)], capture_output=True, text=True)
        return res, out

    def test_esvae_detected_with_latent_from_shapes_in_both_layouts(self):
        arch = Arch("FSVAE", 1, 32, 20, 16, "esvae_rate", "membrane_decay")
        sd = random_state_dict(arch, 1)
        self.assertEqual(validate(sd), arch)
        self.assertIs(unwrap({"net": sd, "epoch": 3}), sd)
        for name, obj in (("plain", sd), ("best", {"net": sd, "epoch": 3})):
            res, out = self.export(obj, name)
            self.assertEqual(res.returncode, 0, res.stderr)
            m = fsvae_schema.load().Model.Model.GetRootAs(out.read_bytes(), 0)
            self.assertEqual(m.SchemaVersion(), 2)
            self.assertEqual(m.Sampler(), fsvae_schema.load().SamplerKind.SamplerKind.EsvaeRate)
            self.assertEqual(m.LatentDim(), 32)
            names = [m.Layers(i).Name().decode() for i in range(m.LayersLength())]
            self.assertIn("sample_layer.0", names)
            self.assertFalse(any(n.startswith(("prior.", "posterior.")) for n in names))

    def test_esvae_unused_prior_statistics_are_not_checked(self):
        arch = Arch("FSVAE", 1, 32, 20, 16, "esvae_rate", "membrane_decay")
        sd = random_state_dict(arch, 1)
        sd["prior.layers.0.bn.running_var"] = torch.full_like(sd["prior.layers.0.bn.running_var"], float("nan"))
        sd["posterior.initial_input"] = torch.ones_like(sd["posterior.initial_input"])
        self.assertEqual(validate(sd), arch)
        # The same in a used layer is an error.
        sd["decoder_input.bn.running_var"] = torch.full_like(sd["decoder_input.bn.running_var"], float("nan"))
        with self.assertRaises(CheckpointError) as e:
            validate(sd)
        self.assertIn("decoder_input.bn.running_var: contains NaN", e.exception.args)

    def test_taid_detected_and_t_from_the_gate(self):
        arch = Arch("FSVAE", 1, 128, 20, 16, "fsvae_autoregressive", "taid")
        sd = random_state_dict(arch, 2)
        self.assertNotIn("membrane_output_layer.coef", sd)
        self.assertEqual(validate(sd), arch)
        res, out = self.export(sd, "taid")
        self.assertEqual(res.returncode, 0, res.stderr)
        m = fsvae_schema.load().Model.Model.GetRootAs(out.read_bytes(), 0)
        self.assertEqual(m.Readout(), fsvae_schema.load().ReadoutKind.ReadoutKind.Taid)
        gate = next(m.Layers(i) for i in range(m.LayersLength())
                    if m.Layers(i).Name() == b"membrane_output_layer.conv")
        G = sd["membrane_output_layer.conv.weight"][..., 0]
        # weight[s][t] = G[t, s]
        self.assertTrue(torch.equal(torch.from_numpy(gate.WeightAsNumpy().copy()).view(16, 16), G.T.contiguous()))

    def test_taid_gate_of_wrong_shape_is_one_line_per_problem(self):
        arch = Arch("FSVAE", 1, 128, 20, 16, "fsvae_autoregressive", "taid")
        sd = random_state_dict(arch, 2)
        sd["membrane_output_layer.conv.weight"] = torch.zeros(16, 16, 3)
        res, out = self.export(sd, "bad")
        self.assertEqual(res.returncode, 1)
        self.assertIn("membrane_output_layer.conv.weight: expected shape (16, 16, 1), found (16, 16, 3)", res.stderr)
        self.assertFalse(out.exists())


if __name__ == "__main__":
    unittest.main()
