#!/usr/bin/env bash
# Installs every Debian package fsvae-rt needs, when missing (idempotent:
# nothing is downloaded when all are present), then configures and builds.
# Usage: scripts/setup.sh [--test-tools] [BUILD_DIR]   (default: build)
#   --test-tools  also what only the tests need (headless Chromium for the
#                 profile report check, clang for scripts/hardening.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
TEST_TOOLS=0
if [ "${1:-}" = "--test-tools" ]; then TEST_TOOLS=1; shift; fi
BUILD_DIR=${1:-build}

PACKAGES=(
  # toolchain
  g++ cmake ninja-build pkg-config
  # runtime libraries
  libtbb-dev libxsimd-dev libflatbuffers-dev flatbuffers-compiler libstb-dev zlib1g-dev
  # the dense GEMM baseline of `fsvae bench`
  libopenblas-dev
  # command line and tests
  libcli11-dev nlohmann-json3-dev doctest-dev
  # exporter and PyTorch reference (system interpreter); OpenBLAS makes torch ~7x faster
  python3 python3-torch python3-numpy python3-pil python3-flatbuffers libopenblas0-pthread
  # real images for reconstruction
  dataset-fashion-mnist
  # the Python package (python/): its bindings, pip install into a venv, its
  # tests and the dask front end
  pybind11-dev python3-dev python3-venv python3-setuptools python3-wheel python3-pytest
  python3-dask python3-distributed python3-tqdm
)

# clang with its libFuzzer and sanitizer runtimes: scripts/hardening.sh
[ "$TEST_TOOLS" -eq 1 ] && PACKAGES+=(chromium clang libclang-rt-14-dev)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFSVAE_BUILD_PYTHON=ON > /dev/null
cmake --build "$BUILD_DIR"
