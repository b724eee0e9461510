"""Builds the fsvae Python package through CMake (cmake/FsvaePython.cmake).

`pip install --no-build-isolation .` configures a CMake build of its own
under build-python/ (Ninja when available) with -DFSVAE_BUILD_PYTHON=ON,
builds the target fsvae_python and copies the staged package (the compiled
module, the pure-Python files, the bundled model, the exporter) into the
wheel. FSVAE_CMAKE_BUILD_DIR=DIR reuses an existing build directory that
was configured with -DFSVAE_BUILD_PYTHON=ON instead.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def version() -> str:
    text = (ROOT / "include" / "fsvae" / "fsvae.h").read_text()
    return ".".join(re.search(rf"#define FSVAE_VERSION_{k} (\d+)", text).group(1)
                    for k in ("MAJOR", "MINOR", "PATCH"))


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        reuse = os.environ.get("FSVAE_CMAKE_BUILD_DIR")
        build = Path(reuse).resolve() if reuse else Path(self.build_temp).resolve() / "cmake"
        if not (build / "CMakeCache.txt").exists():
            if reuse:
                sys.exit(f"FSVAE_CMAKE_BUILD_DIR={reuse}: not a configured CMake build directory")
            cmd = ["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
                   "-DFSVAE_BUILD_PYTHON=ON", "-DFSVAE_BUILD_TESTS=OFF", "-DFSVAE_BUILD_TOOLS=OFF",
                   f"-DPython3_EXECUTABLE={sys.executable}"]
            if shutil.which("ninja"):
                cmd += ["-G", "Ninja"]
            subprocess.check_call(cmd)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        subprocess.check_call(["cmake", "--build", str(build), "--target", "fsvae_python", "-j", jobs])
        stage = build / "python" / "fsvae"
        cache = (build / "CMakeCache.txt").read_text()
        m = re.search(r"^FSVAE_PYTHON_STAGE:PATH=(.*)$", cache, re.M)
        if m:
            stage = Path(m.group(1)) / "fsvae"
        dest = Path(self.get_ext_fullpath(ext.name)).parent
        shutil.copytree(stage, dest, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(
    version=version(),
    package_dir={"": "python"},
    packages=["fsvae"],
    ext_modules=[Extension("fsvae._fsvae", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": "build-python"}},
    zip_safe=False,
)
