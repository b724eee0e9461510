#!/usr/bin/env bash
# Quick start: set up, build, and generate a grid of images with the bundled
# model. Extra arguments go to `fsvae generate` (default: 64 images to grid.png).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build
if [ $# -eq 0 ]; then set -- --count 64 --output grid.png; fi
./build/fsvae generate "$@"
