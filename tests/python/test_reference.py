#!/usr/bin/python3
"""Checks of the PyTorch reference (tools/reference/fsvae_ref.py).

    /usr/bin/python3 tests/python/test_reference.py [--checkpoint PATH]
"""

import sys
import unittest
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO / "tools" / "reference"))
from fsvae_ref import (FASHION_MNIST_TEST_IMAGES, LIF, FSVAERef, Trace,  # noqa: E402
                       default_checkpoint, load_fashion_mnist_test, load_test_images, prepare_images,
                       rgb_composites)

CHECKPOINT = default_checkpoint()
model = None


def setUpModule():
    global model
    model = FSVAERef.from_checkpoint(CHECKPOINT)


class LIFTest(unittest.TestCase):
    def test_hard_reset_strict_threshold_and_trace(self):
        # one neuron per column; inputs chosen so each column tests one rule
        x = torch.tensor([[0.2, 0.15, 0.3, 0.2 + 5e-6],
                          [0.0, 0.15, 0.1, 0.0],
                          [0.0, 0.0, 0.0, 0.0]]).T.reshape(1, 4, 3)
        tr = Trace(1, 3)
        o = LIF("l", tr).run(x)[0]
        # col 0: u = 0.2 exactly (as float32) -> no spike (strict), near threshold
        # col 1: 0.15, then 0.25*0.15 + 0.15 = 0.1875 -> no spike; then 0.046875
        # col 2: 0.3 spikes; reset, so step 1 is 0 + 0.1 -> no spike
        # col 3: 0.200005 spikes and is near threshold
        self.assertEqual(o.tolist(), [[0, 0, 0], [0, 0, 0], [1, 0, 0], [1, 0, 0]])
        self.assertEqual(tr.spikes["l"].tolist(), [[2, 0, 0]])
        self.assertEqual(tr.near["l"].tolist(), [[2, 0, 0]])
        self.assertEqual(tr.neurons["l"], 4)


class SamplerTest(unittest.TestCase):
    def test_stepped_equals_published_generation_with_injected_choices(self):
        g = torch.Generator().manual_seed(1234)
        a = model.arch
        choices = torch.randint(0, a.k, (3, a.T, a.latent_dim), generator=g)
        s = model.generate(3, choices=choices, sampler="stepped", trace=True)
        p = model.generate(3, choices=choices, sampler="published", trace=True)
        self.assertTrue(torch.equal(s.choices, choices))
        self.assertTrue(torch.equal(s.z, p.z))
        self.assertTrue(torch.equal(s.image, p.image))
        for name in model.generate_layers():
            self.assertTrue(torch.equal(s.trace.spikes[name], p.trace.spikes[name]), name)
        # the latent is a real spike train, neither silent nor saturated
        self.assertTrue(0.05 < float(s.z.mean()) < 0.95)
        # z_t[c] = out_t[c*k + r], so every latent spike is a distinct spike of the last prior layer
        self.assertTrue(torch.all(s.z.sum(2) <= s.trace.spikes["prior.layers.2"]))

    def test_choices_select_the_published_indices(self):
        # seeded draws are torch.randint(0, k, (N*C,)) per step, as the published sample()
        a = model.arch
        res = model.generate(2, seed=7)
        torch.manual_seed(7)
        expected = torch.stack([torch.randint(0, a.k, (2 * a.latent_dim,)).view(2, a.latent_dim)
                                for _ in range(a.T)], dim=1)
        self.assertTrue(torch.equal(res.choices, expected))
        again = model.generate(2, choices=res.choices)
        self.assertTrue(torch.equal(again.z, res.z) and torch.equal(again.image, res.image))

    def test_different_choices_change_the_output(self):
        a, b = model.generate(1, seed=0), model.generate(1, seed=1)
        self.assertFalse(torch.equal(a.z, b.z))
        self.assertGreater(float((a.image - b.image).abs().max()), 1e-3)


class ReconstructTest(unittest.TestCase):
    def test_reconstruction_runs_and_samplers_agree(self):
        x = load_fashion_mnist_test(0, 3)
        s = model.reconstruct(x, seed=5, trace=True)
        p = model.reconstruct(x, seed=5, sampler="published", trace=True)
        self.assertEqual(tuple(s.image.shape), (3, 1, 32, 32))
        self.assertTrue(torch.isfinite(s.image).all())
        self.assertLessEqual(float(s.image.abs().max()), 1.0)
        self.assertTrue(torch.equal(s.z, p.z) and torch.equal(s.image, p.image))
        # an encoder that reconstructs at all does better than a blank image
        mse = float(((s.image - x) ** 2).mean())
        self.assertLess(mse, float((x ** 2).mean()))
        self.assertLess(mse, 0.5)

    def test_instrumentation_is_plausible(self):
        x = load_fashion_mnist_test(0, 4)
        res = model.reconstruct(x, seed=0, trace=True)
        tr = res.trace
        self.assertEqual(list(tr.spikes), model.reconstruct_layers())
        total_near = 0
        for name in tr.spikes:
            s, near, n = tr.spikes[name], tr.near[name], tr.neurons[name]
            self.assertEqual(tuple(s.shape), (4, model.arch.T))
            self.assertTrue(bool((s >= 0).all() and (s <= n).all()), name)
            self.assertTrue(bool((near >= 0).all() and (near <= n).all()), name)
            rate = float(s.sum()) / (n * s.numel())
            self.assertTrue(0.01 < rate < 0.9, f"{name}: rate {rate}")
            total_near += int(near.sum())
        # |u - Vth| <= 1e-5 is rare but not absent over ~10^7 neuron-steps
        self.assertGreater(total_near, 0)
        self.assertLess(total_near, 1e-3 * sum(tr.neurons[n] for n in tr.spikes) * 4 * model.arch.T)


class DataTest(unittest.TestCase):
    def test_prepare_images(self):
        raw = np.arange(28 * 28, dtype=np.int64).reshape(1, 28, 28) % 256
        x = prepare_images(raw.astype(np.uint8))
        self.assertEqual(tuple(x.shape), (1, 1, 32, 32))
        self.assertEqual(x.dtype, torch.float32)
        # values are exactly 2*(b/255) - 1 for some byte b
        b = (x + 1) / 2 * 255
        self.assertTrue(torch.allclose(b, b.round(), atol=1e-4))
        flat = prepare_images(np.full((2, 28, 28), 255, np.uint8))
        self.assertTrue(torch.equal(flat, torch.ones(2, 1, 32, 32)))

    def test_rgb_images_are_three_gray_planes(self):
        # PIL resizes each plane of an RGB image as it resizes a gray one, so a
        # colour input is its planes prepared one by one, in R, G, B order.
        gray = np.random.default_rng(3).integers(0, 256, (6, 28, 28), dtype=np.uint8)
        rgb = rgb_composites(gray)
        self.assertEqual(rgb.shape, (2, 28, 28, 3))
        self.assertTrue(np.array_equal(rgb[1, :, :, 2], gray[5]))
        x = prepare_images(rgb, 64)
        self.assertEqual(tuple(x.shape), (2, 3, 64, 64))
        planes = prepare_images(gray, 64)
        self.assertTrue(torch.equal(x.reshape(6, 64, 64), planes[:, 0]))

    def test_test_images_for_three_channels(self):
        x = load_test_images(1, 2, 3, 64)
        gray = load_fashion_mnist_test(3, 6, size=64)   # composites 1, 2 = gray 3..8
        self.assertTrue(torch.equal(x.reshape(6, 1, 64, 64), gray))
        self.assertTrue(torch.equal(load_test_images(0, 2, 1, 32), load_fashion_mnist_test(0, 2)))

    @unittest.skipUnless(Path(FASHION_MNIST_TEST_IMAGES).exists(), "Fashion-MNIST not installed")
    def test_fashion_mnist_loads(self):
        x = load_fashion_mnist_test(9998, 5)
        self.assertEqual(tuple(x.shape), (2, 1, 32, 32))   # the file ends at 10,000
        self.assertTrue(-1 <= float(x.min()) and float(x.max()) <= 1)


if __name__ == "__main__":
    if "--checkpoint" in sys.argv:
        i = sys.argv.index("--checkpoint")
        CHECKPOINT = Path(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    unittest.main()
