#!/usr/bin/env bash
# aarch64.sh: cross-compiles the doctest suites for AArch64 and runs them
# under user-mode emulation, so that the NEON kernels (kernels_neon64.cpp,
# built when CMAKE_SYSTEM_PROCESSOR is aarch64) are the ones tested, against
# the scalar reference like every other ISA.
#  1. installs, when missing: Debian's cross compiler, qemu-user, and the
#     arm64 multiarch -dev packages (adds the arm64 architecture to dpkg);
#  2. configures with cmake/toolchain-aarch64.cmake (no CLI: its test drives
#     the binary from bash, which the emulator does not reach);
#  3. builds fsvae_tests and the C API tests, and runs them through ctest
#     (qemu-aarch64 -L / is the crosscompiling emulator: see the toolchain
#     file for why not -L /usr/aarch64-linux-gnu); the Python tests are host
#     tests and are skipped. Every kernel test runs, for fp32 and int8
#     (tests/test_kernels.cpp, tests/test_int8.cpp).
# Usage: scripts/aarch64.sh [BUILD_DIR]   (default: build-aarch64). Needs root
# or sudo for the package step.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-aarch64}
start=$(date +%s)
say() { echo "aarch64: $* ($(( $(date +%s) - start )) s)"; }

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
PACKAGES=(
  # host: compiler, emulator, build tools, flatc, header-only test libraries
  g++-aarch64-linux-gnu qemu-user cmake ninja-build pkg-config flatbuffers-compiler
  doctest-dev nlohmann-json3-dev
  # target: arm64 multiarch libraries
  libtbb-dev:arm64 libflatbuffers-dev:arm64 libxsimd-dev:arm64 libstb-dev:arm64 zlib1g-dev:arm64
)
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  say "adding the arm64 architecture to dpkg"
  $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -qq
fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchain-aarch64.cmake" \
  -DFSVAE_BUILD_TOOLS=OFF -DFSVAE_BUILD_TESTS=ON > "$BUILD.configure.log" 2>&1 || {
  cat "$BUILD.configure.log"; exit 1; }
rm -f "$BUILD.configure.log"
say "configured"
cmake --build "$BUILD" --target fsvae_tests fsvae_capi_tests fsvae_capi_c99 fsvae_wrapper_noexcept
say "built"

# The binaries are AArch64 and pick the NEON table.
file -b "$BUILD/tests/fsvae_tests" | grep -q "ARM aarch64" || { echo "fsvae_tests is not an AArch64 binary"; exit 1; }
isa=$(qemu-aarch64 -L / "$BUILD/tests/fsvae_capi_c99" samples/fashion-mnist.fsvae)
echo "$isa"
echo "$isa" | grep -q "isa neon64" || { echo "the NEON kernels are not the ones in use"; exit 1; }
# The int8 model too (its integer kernels; tests/test_int8.cpp checks its
# bytes against the scalar table).
isa8=$(qemu-aarch64 -L / "$BUILD/tests/fsvae_capi_c99" samples/fashion-mnist-int8.fsvae)
echo "$isa8" | grep -q "isa neon64" || { echo "int8: the NEON kernels are not the ones in use"; exit 1; }

ctest --test-dir "$BUILD" -E '^python\.' --output-on-failure --timeout 900 -j "$(nproc)"
say "tests passed under qemu-aarch64"
