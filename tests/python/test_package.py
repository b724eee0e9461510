"""The fsvae Python package against the command line: the same bytes for
generate and reconstruct, the same profile document and report, step-by-step
runs, latent trains and decoding, the exporter, and every bad input refused
with a clear error before anything runs.

    FSVAE_CLI=build/tools/fsvae PYTHONPATH=build/python python3 -m pytest tests/python/test_package.py
"""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import fsvae

REPO = Path(__file__).resolve().parents[2]
CLI = os.environ.get("FSVAE_CLI", str(REPO / "build" / "fsvae"))


def cli(*args):
    r = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def model():
    return fsvae.Model()


def same_bytes(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_generate_equals_cli_byte_for_byte(model, tmp_path):
    cli("generate", "--model", fsvae.BUNDLED_MODEL, "--count", 8, "--seed", 7, "--output", tmp_path / "x.npy")
    expected = np.load(tmp_path / "x.npy")
    got = model.generate(8, seed=7)
    assert got.shape == (8, 1, 32, 32) and got.dtype == np.float32
    assert same_bytes(got, expected)
    assert -1 <= got.min() and got.max() <= 1
    # --first-index, and the thread count never changes the bytes
    cli("generate", "--model", fsvae.BUNDLED_MODEL, "--count", 3, "--seed", 7, "--first-index", 5,
        "--output", tmp_path / "y.npy")
    assert same_bytes(model.generate(3, seed=7, first_index=5, threads=1), np.load(tmp_path / "y.npy"))
    assert same_bytes(model.generate(3, seed=7, first_index=5), expected[5:8])


def test_reconstruct_equals_cli(model, tmp_path):
    images = model.generate(6, seed=1)
    np.save(tmp_path / "in.npy", images)
    cli("reconstruct", "--model", fsvae.BUNDLED_MODEL, "--input", tmp_path / "in.npy", "--seed", 3,
        "--output", tmp_path / "rec.npy")
    expected = np.load(tmp_path / "rec.npy")
    assert same_bytes(model.reconstruct(images, seed=3), expected)
    assert same_bytes(model.reconstruct(images[2:], seed=3, first_index=2, threads=1), expected[2:])


def test_reconstruct_takes_torch_tensors(model):
    torch = pytest.importorskip("torch")
    images = model.generate(3, seed=2)
    t = torch.from_numpy(images.copy())
    assert same_bytes(model.reconstruct(t), model.reconstruct(images))
    with pytest.raises(fsvae.InvalidArgumentError, match="not C-contiguous"):
        model.reconstruct(t.transpose(2, 3))
    with pytest.raises(fsvae.InvalidArgumentError, match="float64"):
        model.reconstruct(t.double())
    with pytest.raises(fsvae.InvalidArgumentError, match="requires grad"):
        model.reconstruct(t.clone().requires_grad_())


def test_info_and_version(model):
    i = model.info
    assert (i["channels"], i["height"], i["width"]) == (1, 32, 32)
    assert i["time_steps"] == 16 and i["latent_dim"] == 128 and i["variant"] == "FSVAE"
    assert i["file"] == fsvae.BUNDLED_MODEL and os.path.getsize(i["file"]) == i["model_bytes"]
    assert fsvae.__version__ in cli("--version").stdout


def test_steps_end_at_the_generated_image(model):
    frames = list(model.steps(4, seed=9))
    assert len(frames) == model.info["time_steps"]
    assert all(f.shape == (1, 32, 32) and f.dtype == np.float32 for f in frames)
    assert same_bytes(frames[-1], model.generate(1, seed=9, first_index=4)[0])
    assert not np.array_equal(frames[0], frames[-1])
    image = model.generate(1, seed=5)[0]
    rec = list(model.steps(2, seed=6, image=image))
    assert same_bytes(rec[-1], model.reconstruct(image[None], seed=6, first_index=2)[0])


def test_latent_trains_decode_to_their_images(model):
    images, z = model.generate(5, seed=4, return_z=True)
    T, L = model.info["time_steps"], model.info["latent_dim"]
    assert z.shape == (5, T, L) and z.dtype == np.uint8 and set(np.unique(z)) <= {0, 1}
    assert same_bytes(images, model.generate(5, seed=4))
    assert same_bytes(model.decode(z), images)
    assert same_bytes(model.decode(z.astype(bool), threads=1), images)
    # Interpolation: half of one train's steps, half of another's.
    mixed = np.concatenate([z[0, :T // 2], z[1, T // 2:]])[None]
    out = model.decode(mixed)
    assert out.shape == (1, 1, 32, 32) and not np.array_equal(out[0], images[0])
    rec, zr = model.reconstruct(images, seed=1, return_z=True)
    assert same_bytes(rec, model.reconstruct(images, seed=1))
    assert same_bytes(model.decode(zr), rec)


def without_times(profile):
    p = json.loads(json.dumps(profile))
    for layer in p["layers"]:
        assert layer.pop("time_ms") >= 0
    assert p["totals"].pop("time_ms") >= 0
    return p


def test_profile_is_the_cli_document(model, tmp_path):
    cli("profile", "--model", fsvae.BUNDLED_MODEL, "--count", 12, "--seed", 5, "--threads", 1,
        "--json", tmp_path / "p.json", "--report", tmp_path / "p.html")
    expected = json.loads((tmp_path / "p.json").read_text())
    got = model.profile(count=12, seed=5, threads=1)
    assert without_times(got) == without_times(expected)
    assert got["totals"]["synaptic_ops"] > 0

    # The report of the CLI's own JSON is the CLI's report, byte for byte.
    fsvae.write_report(expected, tmp_path / "r.html")
    assert (tmp_path / "r.html").read_bytes() == (tmp_path / "p.html").read_bytes()
    fsvae.write_report(got, tmp_path / "g.html")
    assert "<svg" in (tmp_path / "g.html").read_text()
    with pytest.raises(fsvae.InvalidArgumentError, match="not an fsvae profile"):
        fsvae.write_report({"format": "x"}, tmp_path / "bad.html")
    assert not (tmp_path / "bad.html").exists()


def test_profile_of_a_reconstruction(model, tmp_path):
    images = model.generate(5, seed=8)
    np.save(tmp_path / "in.npy", images)
    cli("profile", "--model", fsvae.BUNDLED_MODEL, "--mode", "reconstruct", "--input",
        tmp_path / "in.npy", "--count", 4, "--seed", 2, "--json", tmp_path / "p.json")
    expected = without_times(json.loads((tmp_path / "p.json").read_text()))
    got = without_times(model.profile(count=4, seed=2, mode="reconstruct", images=images))
    assert got["run"].pop("input") is None and got["run"]["offset"] == 0
    expected["run"].pop("input")
    assert got == expected


def test_the_gil_is_released_while_computing(model):
    # A Python thread keeps ticking while generate() runs: the longest gap
    # between ticks stays far below one chunk's ~0.1 s of work.
    ticks, stop = [], threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    try:
        t0 = time.perf_counter()
        model.generate(500, threads=1)
        elapsed = time.perf_counter() - t0
    finally:
        stop.set()
        t.join()
    gaps = np.diff(ticks)
    assert elapsed > 0.3, "too little work to tell"
    assert gaps.max() < 0.06, f"a {gaps.max():.3f} s gap: the GIL was held"


def test_bad_inputs_are_refused_before_anything_runs(model, tmp_path):
    good = model.generate(2, seed=0)
    E = fsvae.InvalidArgumentError
    for count in (0, -3):
        with pytest.raises(E, match="count"):
            model.generate(count)
    with pytest.raises(E, match="integer"):
        model.generate(2.5)
    with pytest.raises(E, match="integer"):
        model.generate(True)
    with pytest.raises(E, match="seed"):
        model.generate(1, seed=-1)
    with pytest.raises(E, match="overflows"):
        model.generate(2, first_index=(1 << 64) - 1)
    with pytest.raises(E, match="float64"):
        model.reconstruct(good.astype(np.float64))
    with pytest.raises(E, match=r"shape \(1, 32, 32\)"):
        model.reconstruct(good[0])
    with pytest.raises(E, match="3 channels"):
        model.reconstruct(np.zeros((1, 3, 32, 32), np.float32))
    with pytest.raises(E, match="28x28"):
        model.reconstruct(np.zeros((1, 1, 28, 28), np.float32))
    with pytest.raises(E, match="N is 0"):
        model.reconstruct(good[:0])
    with pytest.raises(E, match="not C-contiguous"):
        model.reconstruct(np.asfortranarray(good))
    bad = good.copy()
    bad[1, 0, 3, 4] = 1.5
    with pytest.raises(E, match=r"1.5 at \[1, 0, 3, 4\] is outside \[-1, 1\]"):
        model.reconstruct(bad)
    bad[1, 0, 3, 4] = np.nan
    with pytest.raises(E, match="nan"):
        model.reconstruct(bad)
    with pytest.raises(E, match="mode"):
        model.profile(mode="train")
    with pytest.raises(E, match="shape"):
        model.decode(np.zeros((1, 3, 128), np.uint8))
    with pytest.raises(E, match="other than 0 and 1"):
        model.decode(np.full((1, 16, 128), 2, np.uint8))
    # Each error is also the builtin kind it is.
    with pytest.raises(ValueError):
        model.generate(0)


def test_model_files_that_cannot_be_used(tmp_path):
    with pytest.raises(fsvae.ModelIOError, match="no such file") as e:
        fsvae.Model(tmp_path / "missing.fsvae")
    assert isinstance(e.value, OSError) and isinstance(e.value, fsvae.FsvaeError)
    (tmp_path / "junk.fsvae").write_bytes(b"not a model" * 10)
    with pytest.raises(fsvae.InvalidModelError, match="junk.fsvae") as e:
        fsvae.Model(tmp_path / "junk.fsvae")
    assert e.value.status == 4
    with pytest.raises(fsvae.ModelIOError, match="directory"):
        fsvae.Model(tmp_path)


def test_one_exception_class_per_status():
    classes = [fsvae.InvalidArgumentError, fsvae.ModelIOError, fsvae.InvalidModelError,
               fsvae.OutOfMemoryError, fsvae.BadStateError, fsvae.InternalError]
    assert sorted(c.status for c in classes) == list(range(2, 8))
    assert all(issubclass(c, fsvae.FsvaeError) for c in classes)


def test_export_gives_the_exporters_bytes(tmp_path):
    pytest.importorskip("torch")
    sys.path.insert(0, str(REPO / "tools" / "reference"))
    from fsvae_ref import default_checkpoint
    ckpt = default_checkpoint()
    if not ckpt.exists():
        pytest.skip(f"no checkpoint at {ckpt}")
    r = subprocess.run([sys.executable, str(REPO / "tools" / "fsvae_export.py"), str(ckpt),
                        str(tmp_path / "cli.fsvae"), "--dataset", "fashion-mnist"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = fsvae.export(ckpt, tmp_path / "py.fsvae", dataset="fashion-mnist")
    assert Path(out).read_bytes() == (tmp_path / "cli.fsvae").read_bytes()
    m = fsvae.Model(out)
    assert m.info["dataset"] == "fashion-mnist"
    import torch
    sd = torch.load(ckpt, map_location="cpu", weights_only=True)
    fsvae.export(sd, tmp_path / "sd.fsvae")
    assert same_bytes(fsvae.Model(tmp_path / "sd.fsvae").generate(2, seed=1), m.generate(2, seed=1))
    with pytest.raises(fsvae.InvalidModelError):
        fsvae.export({"weight": torch.zeros(3)}, tmp_path / "bad.fsvae")
    with pytest.raises(fsvae.ModelIOError, match="no such file"):
        fsvae.export(tmp_path / "none.pth", tmp_path / "bad.fsvae")
    assert not (tmp_path / "bad.fsvae").exists()
