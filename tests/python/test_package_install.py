"""Installing the package: `pip install --no-build-isolation --no-index .`
into a fresh venv made with --system-site-packages (offline), and `cmake
--install --component python`; each installed copy generates the command
line's bytes.

FSVAE_BUILD_DIR names the CMake build directory (configured with
-DFSVAE_BUILD_PYTHON=ON) that pip reuses through FSVAE_CMAKE_BUILD_DIR, so
the test does not compile everything again; FSVAE_TEST_FRESH_BUILD=1 makes pip
build from scratch, as on a bare clone.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("FSVAE_BUILD_DIR", REPO / "build"))
CLI = os.environ.get("FSVAE_CLI", str(BUILD / "fsvae"))

CHECK = r"""
import sys, numpy as np, fsvae
assert fsvae.__file__.startswith(sys.argv[2]), fsvae.__file__
assert fsvae.BUNDLED_MODEL.startswith(sys.argv[2]), fsvae.BUNDLED_MODEL
np.save(sys.argv[1], fsvae.Model().generate(8, seed=7))
"""


def cli_images(tmp_path):
    out = tmp_path / "cli.npy"
    r = subprocess.run([CLI, "generate", "--count", "8", "--seed", "7", "--output", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return np.load(out)


def source_copy(dst):
    """The checkout's files, without build trees or git metadata."""
    ignore = shutil.ignore_patterns(".git", "build*", "__pycache__", "*.pyc")
    shutil.copytree(REPO, dst, ignore=ignore, symlinks=True)
    return dst


def test_pip_install_into_a_fresh_venv_offline(tmp_path):
    src = source_copy(tmp_path / "src")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = venv / "bin" / "python"
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)  # only what the venv holds
    if os.environ.get("FSVAE_TEST_FRESH_BUILD") != "1":
        env["FSVAE_CMAKE_BUILD_DIR"] = str(BUILD)
    r = subprocess.run([str(py), "-m", "pip", "install", "--no-build-isolation", "--no-index", str(src)],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = tmp_path / "py.npy"
    r = subprocess.run([str(py), "-c", CHECK, str(out), str(venv)], capture_output=True, text=True,
                       env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert np.load(out).tobytes() == cli_images(tmp_path).tobytes()


def test_cmake_install_of_the_python_component(tmp_path):
    if not (BUILD / "CMakeCache.txt").exists():
        pytest.skip(f"no CMake build at {BUILD}")
    prefix = tmp_path / "prefix"
    subprocess.run(["cmake", "--install", str(BUILD), "--component", "python", "--prefix", str(prefix)],
                   check=True, capture_output=True)
    site = next(prefix.rglob("fsvae/__init__.py")).parent.parent
    env = dict(os.environ, PYTHONPATH=str(site))
    out = tmp_path / "py.npy"
    r = subprocess.run([sys.executable, "-c", CHECK, str(out), str(prefix)], capture_output=True,
                       text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert np.load(out).tobytes() == cli_images(tmp_path).tobytes()
