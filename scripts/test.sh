#!/usr/bin/env bash
# Quick start: set up, build, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test-tools build
ctest --test-dir build --output-on-failure -j "$(nproc)"
