#!/usr/bin/python3
"""Checks of `fsvae profile`: every field of the JSON, the invariants that tie
the counters together, agreement with the PyTorch reference given the same
sampler choices, and the HTML report rendered in headless Chromium.

    /usr/bin/python3 tests/python/test_profile.py PATH/TO/fsvae
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
FSVAE = None
IDX = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
T, C, K = 16, 128, 20


def run(*args, **kw):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True, **kw)


def profile(tmp, *args):
    out = Path(tmp) / "p.json"
    run(FSVAE, "profile", *args, "--json", out, "--report", Path(tmp) / "p.html")
    return json.loads(out.read_text())


def reference_rates(*args):
    r = run(sys.executable, REPO / "tools" / "reference" / "rates.py", "--sampler", "runtime", *args)
    return json.loads(r.stdout)


class ProfileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        os.makedirs(cls.tmp + "/g")
        cls.gen = profile(cls.tmp + "/g", "--count", "16", "--seed", "3")
        os.makedirs(cls.tmp + "/r")
        cls.rec = profile(cls.tmp + "/r", "--mode", "reconstruct", "--input", IDX, "--count", "8",
                          "--seed", "5")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def check_document(self, p, mode, images, first_layer, names):
        self.assertEqual(list(p)[:4], ["format", "format_version", "model", "run"])
        self.assertEqual(p["format"], "fsvae-profile")
        m = p["model"]
        for key, want in [("variant", "FSVAE"), ("dataset", "fashion-mnist"), ("time_steps", T),
                          ("k", K), ("latent_dim", C), ("tau", 0.25), ("readout_decay", 0.8),
                          ("image", [1, 32, 32])]:
            self.assertEqual(m[key], want, key)
        self.assertAlmostEqual(m["vth"], 0.2, places=6)
        self.assertGreater(m["parameters"], 4_000_000)
        self.assertGreater(m["file_bytes"], 16_000_000)
        self.assertEqual(p["run"]["mode"], mode)
        self.assertEqual(p["run"]["images"], images)
        self.assertIn(p["run"]["kernels"], ["scalar", "sse2", "avx2", "avx512", "neon64"])

        layers = p["layers"]
        self.assertEqual([l["name"] for l in layers], names)
        ops = macs = spikes = neuron_steps = 0
        for l in layers:
            for key in ["kind", "spiking", "neurons", "steps", "events", "synaptic_ops",
                        "dense_macs", "time_ms", "spikes", "firing_rate", "firing_rate_per_step"]:
                self.assertIn(key, l)
            self.assertEqual(l["steps"], images * T, l["name"])
            self.assertGreater(l["time_ms"], 0.0, l["name"])
            self.assertGreater(l["synaptic_ops"], 0, l["name"])
            self.assertLess(l["synaptic_ops"], l["dense_macs"], l["name"])
            if l["spiking"]:
                rate = l["spikes"] / (l["neurons"] * l["steps"])
                self.assertAlmostEqual(l["firing_rate"], rate, places=12)
                self.assertTrue(0.0 < rate < 1.0)
                self.assertEqual(len(l["firing_rate_per_step"]), T)
                self.assertAlmostEqual(sum(l["firing_rate_per_step"]) / T, rate, places=9)
                spikes += l["spikes"]
                neuron_steps += l["neurons"] * l["steps"]
            else:
                self.assertIsNone(l["firing_rate"])
            ops += l["synaptic_ops"]
            macs += l["dense_macs"]
        # Dataflow: a layer receives what the layer below emitted.
        by = {l["name"]: l for l in layers}
        for lower, upper in zip(names[first_layer:], names[first_layer + 1:]):
            if upper in ("posterior.layers.0", "decoder_input"):
                continue  # fed by the sampler (and x_lat)
            self.assertEqual(by[upper]["events"], by[lower]["spikes"], upper)
        # A linear layer adds one row of `neurons` floats per event.
        for l in layers:
            if l["kind"] == "linear":
                self.assertEqual(l["synaptic_ops"], l["events"] * l["neurons"], l["name"])
        # Dense MACs, by hand: decoder.0 maps 2x2 -> 4x4 with 5x5 valid taps, 256 -> 128.
        self.assertEqual(by["decoder.0"]["dense_macs"], images * T * 25 * 256 * 128)
        self.assertEqual(by["prior.layers.2"]["dense_macs"] if "prior.layers.2" in by else
                         by["posterior.layers.2"]["dense_macs"], images * T * 512 * 2560)

        t = p["totals"]
        self.assertEqual(t["synaptic_ops"], ops)
        self.assertEqual(t["dense_macs"], macs)
        self.assertEqual(t["spikes"], spikes)
        self.assertAlmostEqual(t["firing_rate"], spikes / neuron_steps, places=12)
        self.assertAlmostEqual(t["ops_fraction_of_dense"], ops / macs, places=12)
        self.assertAlmostEqual(t["synaptic_ops_per_image"], ops / images, places=6)
        self.assertTrue(0.0 < p["latent"]["rate"] < 1.0)
        self.assertAlmostEqual(p["latent"]["rate"], p["latent"]["spikes"] / (C * T * images))

        tables = {e["table"]: e for e in p["energy"]}
        self.assertEqual(set(tables), {"fp32-45nm", "fp16-45nm", "int8-45nm"})
        self.assertTrue(tables["fp32-45nm"]["selected"])
        self.assertIn("Horowitz", tables["fp32-45nm"]["source"])
        self.assertEqual((tables["fp32-45nm"]["mac_pj"], tables["fp32-45nm"]["add_pj"]), (4.6, 0.9))
        e = tables["fp32-45nm"]
        self.assertAlmostEqual(e["dense_uj_per_image"], macs * 4.6e-6 / images, places=6)
        # The image layer: one addition per input spike into the decayed
        # spike sum, then once per image the product W * S (3x3 taps x 32 in
        # x 1 out x 32x32, multiply-accumulates) and each output pixel's
        # in-bounds taps added (94 x 94, as in its dense count).
        readout_macs = 9 * 32 * 1 * 32 * 32
        f1 = by["final_layer.1"]
        self.assertEqual(f1["synaptic_ops"], f1["events"] + images * (readout_macs + 94 * 94))
        mac_ops = images * readout_macs
        mac_ops += layers[0]["synaptic_ops"] if mode == "reconstruct" else 0
        self.assertAlmostEqual(e["event_driven_uj_per_image"],
                               ((ops - mac_ops) * 0.9 + mac_ops * 4.6) * 1e-6 / images, places=6)
        self.assertGreater(e["dense_over_event_driven"], 1.0)

    def test_generate_document(self):
        self.check_document(self.gen, "generate", 16, 0,
                            ["prior.layers.0", "prior.layers.1", "prior.layers.2", "decoder_input",
                             "decoder.0", "decoder.1", "decoder.2", "final_layer.0", "final_layer.1"])

    def test_reconstruct_document(self):
        self.check_document(self.rec, "reconstruct", 8, 0,
                            ["encoder.0", "encoder.1", "encoder.2", "encoder.3", "before_latent_layer",
                             "posterior.layers.0", "posterior.layers.1", "posterior.layers.2",
                             "decoder_input", "decoder.0", "decoder.1", "decoder.2",
                             "final_layer.0", "final_layer.1"])

    def compare_rates(self, p, ref):
        for l in p["layers"]:
            if l["spiking"]:
                self.assertLessEqual(abs(l["firing_rate"] - ref["rates"][l["name"]]), 0.005, l["name"])
        self.assertLessEqual(abs(p["latent"]["rate"] - ref["z"]), 0.005)

    def test_generate_rates_match_reference(self):
        self.compare_rates(self.gen, reference_rates("--mode", "generate", "--count", "16", "--seed", "3"))

    def test_reconstruct_rates_match_reference(self):
        self.compare_rates(self.rec, reference_rates("--mode", "reconstruct", "--count", "8", "--seed", "5"))

    def test_report_renders(self):
        chromium = shutil.which("chromium")
        self.assertIsNotNone(chromium, "chromium is installed by scripts/setup.sh --test-tools")
        html = Path(self.tmp) / "g" / "p.html"
        profile_dir = tempfile.mkdtemp()
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--user-data-dir=" + profile_dir]
        try:
            dom = run(chromium, *flags, "--dump-dom", html.as_uri(), timeout=120).stdout
            shot = Path(self.tmp) / "shot.png"
            run(chromium, *flags, "--window-size=1100,1400", "--screenshot=" + str(shot), html.as_uri(),
                timeout=120)
        finally:
            shutil.rmtree(profile_dir, ignore_errors=True)
        # The browser built the page: 8 layers x T heat-map cells, one bar pair per layer.
        self.assertEqual(dom.count('class="cell"'), 8 * T)
        self.assertEqual(dom.count('class="bar-ops"'), 9)
        self.assertEqual(dom.count('class="bar-dense"'), 9)
        from PIL import Image
        img = Image.open(shot).convert("RGB")
        self.assertEqual(img.size, (1100, 1400))
        colors = img.getcolors(maxcolors=1 << 20)
        self.assertGreater(len(colors), 50)  # a drawn page, not a blank one
        # The heat map's colour ramp is on the page.
        self.assertTrue(any(c[1] == (0xe4, 0x57, 0x2e) for c in colors))


if __name__ == "__main__":
    FSVAE = Path(sys.argv.pop(1)).resolve()
    unittest.main()
