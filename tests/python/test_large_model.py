#!/usr/bin/python3
"""The command line on an FSVAELarge model (64x64 RGB): `fsvae info`,
`generate` and `reconstruct` from 3-channel .npy and PNG input, against the
PyTorch reference's golden vectors. The model and the golden files are made
at build time by tools/reference/make_large_model.py, with the runtime's own
seeded choices (make_golden.py --choices runtime), so `--seed S` must
reproduce them.

    /usr/bin/python3 tests/python/test_large_model.py PATH/TO/fsvae LARGE_DIR
"""

import json
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO / "tools" / "reference"))
from fsvae_ref import FASHION_MNIST_TEST_IMAGES, load_idx_images, rgb_composites  # noqa: E402

FSVAE = LARGE = None
# Every pixel within this of the reference on an image whose spikes all match
# (the parity test's tolerance); an image where a membrane within rounding of
# Vth flipped a few spikes still stays within MEAN_TOLERANCE on average. A
# wrong channel order, seed or image index is off by tenths.
IMAGE_TOLERANCE = 1e-4
MEAN_TOLERANCE = 1e-3


def run(*args):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True,
                          timeout=300)


def golden(mode):
    return json.loads((LARGE / f"{mode}.json").read_text())


class LargeModel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp())
        cls.model = LARGE / "fsvae-large.fsvae"

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def fsvae(self, *args):
        return run(FSVAE, *args, "--model", self.model)

    def check_images(self, got, g):
        """got (N, 3, 64, 64) against the golden images, with the rule above."""
        self.assertEqual(got.shape, (len(g["images"]), 3, 64, 64))
        self.assertEqual(got.dtype, np.float32)
        exact = 0
        for i, im in enumerate(g["images"]):
            want = np.array(im["image"], dtype=np.float32).reshape(3, 64, 64)
            diff = np.abs(got[i].astype(np.float64) - want)
            self.assertLessEqual(diff.mean(), MEAN_TOLERANCE, f"image {i}")
            exact += diff.max() <= IMAGE_TOLERANCE
        self.assertGreaterEqual(exact, 1)   # the fine tolerance was exercised

    def test_info(self):
        out = self.fsvae("info").stdout
        self.assertRegex(out, r"variant\s+FSVAELarge")
        self.assertRegex(out, r"image\s+3 x 64 x 64")
        self.assertRegex(out, r"latent\s+32 channels x 16 steps, k = 20")
        self.assertRegex(out, r"encoder\.4\s+conv\s+256x4x4 ->\s+512x2x2")
        self.assertRegex(out, r"prior\.layers\.1\s+linear\s+64x1x1 ->\s+128x1x1")

    def test_generate_reproduces_the_reference(self):
        g = golden("generate")
        seed = g["images"][0]["seed"]
        self.assertEqual([im["index"] for im in g["images"]], list(range(len(g["images"]))))
        npy, png = self.tmp / "g.npy", self.tmp / "g.png"
        n = len(g["images"])
        self.fsvae("generate", "--count", n, "--seed", seed, "--output", npy)
        self.fsvae("generate", "--count", n, "--seed", seed, "--output", png)
        got = np.load(npy)
        self.check_images(got, g)
        # The PNG grid (8 per row, padding 2) holds the same images in RGB.
        with Image.open(png) as f:
            self.assertEqual(f.mode, "RGB")
            img = np.asarray(f)
        self.assertEqual(img.shape, (64 + 4, n * 64 + (n + 1) * 2, 3))
        for i in range(n):
            tile = img[2:66, 2 + i * 66:66 + i * 66].transpose(2, 0, 1).astype(int)
            want = np.clip((got[i].astype(np.float64) + 1) / 2 * 255 + 0.5, 0, 255).astype(int)
            self.assertLessEqual(np.abs(tile - want).max(), 1, f"tile {i}")

    def test_reconstruct_npy_and_png_inputs(self):
        g = golden("reconstruct")
        seed, n = g["images"][0]["seed"], len(g["images"])
        inputs = np.array([im["input"] for im in g["images"]], dtype=np.float32).reshape(n, 3, 64, 64)
        npy_in, npy_out = self.tmp / "in.npy", self.tmp / "r.npy"
        np.save(npy_in, inputs)
        res = self.fsvae("reconstruct", "--input", npy_in, "--count", n, "--seed", seed,
                         "--output", npy_out)
        got = np.load(npy_out)
        self.check_images(got, g)
        mse = float(re.search(r"MSE ([0-9.]+)", res.stdout).group(1))
        self.assertAlmostEqual(mse, float(((got.astype(np.float64) - inputs) ** 2).mean()), places=5)

        # Test image 0 as a 28x28 RGB PNG: the reader resizes it to 64x64 as
        # PIL does, which is how the golden input was made, so the
        # reconstruction is the .npy run's image 0, bit for bit.
        self.assertEqual(g["images"][0]["test_index"], 0)
        rgb = rgb_composites(load_idx_images(FASHION_MNIST_TEST_IMAGES, 0, 3))[0]
        png_in, png_out = self.tmp / "in.png", self.tmp / "r0.npy"
        Image.fromarray(rgb, mode="RGB").save(png_in)
        self.fsvae("reconstruct", "--input", png_in, "--seed", seed, "--output", png_out)
        one = np.load(png_out)
        self.assertEqual(one.shape, (1, 3, 64, 64))
        self.assertTrue(np.array_equal(one[0].view(np.uint32), got[0].view(np.uint32)))

        # The PNG output pairs each input with its reconstruction.
        pairs = self.tmp / "r.png"
        self.fsvae("reconstruct", "--input", npy_in, "--count", n, "--seed", seed, "--output", pairs)
        with Image.open(pairs) as f:
            self.assertEqual(f.mode, "RGB")

    def test_gray_inputs_become_three_equal_planes(self):
        # A gray PNG or an IDX file given to an RGB model is converted as PIL's
        # convert("RGB") does: the gray plane three times, before the resize.
        seed = golden("reconstruct")["images"][0]["seed"]
        gray = load_idx_images(FASHION_MNIST_TEST_IMAGES, 0, 1)[0]
        png_in, npy_in = self.tmp / "gray.png", self.tmp / "gray.npy"
        Image.fromarray(gray, mode="L").save(png_in)
        with Image.open(png_in) as f:
            rgb = np.asarray(f.convert("RGB").resize((64, 64), Image.BILINEAR))
        x = rgb.transpose(2, 0, 1)[None].astype(np.float32) / np.float32(255)
        np.save(npy_in, np.float32(2) * x - np.float32(1))
        outs = {}
        for name, src in (("png", png_in), ("idx", FASHION_MNIST_TEST_IMAGES), ("npy", npy_in)):
            outs[name] = self.tmp / f"gray-{name}.npy"
            self.fsvae("reconstruct", "--input", src, "--count", 1, "--seed", seed, "--output", outs[name])
        want = np.load(outs["npy"])
        self.assertEqual(want.shape, (1, 3, 64, 64))
        for name in ("png", "idx"):
            self.assertTrue(np.array_equal(np.load(outs[name]).view(np.uint32), want.view(np.uint32)), name)

    def test_profile_rates_match_the_reference(self):
        g = golden("generate")
        n, seed = len(g["images"]), g["images"][0]["seed"]
        out = self.tmp / "p.json"
        self.fsvae("profile", "--count", n, "--seed", seed, "--json", out)
        p = json.loads(out.read_text())
        self.assertEqual(p["model"]["variant"], "FSVAELarge")
        self.assertEqual(p["model"]["image"], [3, 64, 64])
        for layer in p["layers"]:
            if not layer["spiking"]:
                continue
            name = layer["name"]
            spikes = sum(sum(im["spike_counts"][name]) for im in g["images"])
            rate = spikes / (layer["neurons"] * g["T"] * n)
            self.assertLessEqual(abs(layer["firing_rate"] - rate), 0.005, name)
            self.assertTrue(0.05 <= rate <= 0.4, f"{name}: rate {rate}")   # calibrated
        z = sum(sum(map(sum, im["z"])) for im in g["images"]) / (g["latent_dim"] * g["T"] * n)
        self.assertLessEqual(abs(p["latent"]["rate"] - z), 0.005)


if __name__ == "__main__":
    FSVAE = Path(sys.argv.pop(1)).resolve()
    LARGE = Path(sys.argv.pop(1)).resolve()
    unittest.main()
