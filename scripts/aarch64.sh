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
#     tests and are skipped, and so is the ESVAE/TAID fixture (variants.*,
#     see below). Every kernel test runs, for fp32 and int8
#     (tests/test_kernels.cpp, tests/test_int8.cpp);
#  4. builds the C sample (samples/c) as one static AArch64 executable
#     against the installed package (libfsvae.a, a libtbb.a built from
#     Debian's onetbb source, libstdc++ and glibc linked in), fails unless
#     `file` calls it statically linked and it writes a valid image with the
#     fp32 and the int8 model under plain qemu-aarch64, and prints its
#     footprint: sizes, and the heap tests/capi/footprint.c measures linked
#     the same way (docs/embedding.md quotes it). Source download (deb-src)
#     and the libtbb.a build happen once per oneTBB version.
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
  # host: for the static sample (apt-get source of onetbb, its PNG check)
  dpkg-dev xz-utils file python3
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

# The ESVAE/TAID fixture (variants.*) is left to the host run: it builds its
# models with the host's PyTorch (90 s) and checks parity of operations that
# are the same code on every ISA; the kernels they use are tested here.
ctest --test-dir "$BUILD" -E '^(python|variants)\.' --output-on-failure --timeout 900 -j "$(nproc)"
say "tests passed under qemu-aarch64"

# ---- the C sample as one static AArch64 executable, and its footprint -------
# libfsvae.a, oneTBB, libstdc++ and glibc all linked in (-static). Debian
# ships oneTBB for arm64 as a shared library only (libtbb-dev:arm64 has
# libtbb.so, no libtbb.a), so libtbb.a is built here from Debian's source
# package of the installed version (its patches applied by apt-get source),
# cross-compiled once per version and kept in $BUILD/onetbb-static. A static
# oneTBB loads no library at run time: without BUILD_SHARED_LIBS its CMake sets
# __TBB_DYNAMIC_LOAD_ENABLED=0, and what is left is a dlopen with RTLD_NOLOAD
# (is tbbmalloc already loaded?), hence the linker's warning about dlopen in a
# static program. tbbmalloc and tbbbind are not built. The deb-src lists go to
# a directory of their own there: the system's apt sources and caches are
# left as they are.
static_start=$(date +%s)
BUILD_ABS=$(cd "$BUILD" && pwd)
TBB_ROOT=$BUILD_ABS/onetbb-static
tbb_source=$(dpkg-query -W -f='${source:Package}' libtbb-dev:arm64)
tbb_version=$(dpkg-query -W -f='${source:Version}' libtbb-dev:arm64)
if [ "$(cat "$TBB_ROOT/version" 2>/dev/null)" != "$tbb_source $tbb_version" ]; then
  rm -rf "$TBB_ROOT"
  mkdir -p "$TBB_ROOT/apt/lists/partial" "$TBB_ROOT/apt/parts"
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  printf 'deb-src http://deb.debian.org/debian %s main\n' "$codename" "$codename-updates" > "$TBB_ROOT/apt/sources.list"
  printf 'deb-src http://deb.debian.org/debian-security %s main\n' "$codename-security" >> "$TBB_ROOT/apt/sources.list"
  APT_SRC=(-qq -o Dir::Etc::SourceList="$TBB_ROOT/apt/sources.list" -o Dir::Etc::SourceParts="$TBB_ROOT/apt/parts"
    -o Dir::State::Lists="$TBB_ROOT/apt/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
    -o APT::Sandbox::User=root)
  apt-get "${APT_SRC[@]}" update
  (cd "$TBB_ROOT" && apt-get "${APT_SRC[@]}" source "$tbb_source=$tbb_version" > source.log 2>&1) || {
    cat "$TBB_ROOT/source.log"
    echo "aarch64: no source package $tbb_source $tbb_version for the static libtbb.a (upgrade libtbb-dev:arm64?)"
    exit 1; }
  tbb_tree=$(find "$TBB_ROOT" -mindepth 2 -maxdepth 2 -name CMakeLists.txt -printf '%h\n' | head -n 1)
  cmake -S "$tbb_tree" -B "$TBB_ROOT/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchain-aarch64.cmake" -DCMAKE_INSTALL_PREFIX="$TBB_ROOT/prefix" \
    -DBUILD_SHARED_LIBS=OFF -DTBB_TEST=OFF -DTBBMALLOC_BUILD=OFF -DTBB_STRICT=OFF \
    -DTBB_DISABLE_HWLOC_AUTOMATIC_SEARCH=ON > "$TBB_ROOT/configure.log" 2>&1 || {
    cat "$TBB_ROOT/configure.log"; exit 1; }
  cmake --build "$TBB_ROOT/build" -j "$(nproc)" > "$TBB_ROOT/build.log" 2>&1 || { cat "$TBB_ROOT/build.log"; exit 1; }
  cmake --install "$TBB_ROOT/build" > /dev/null
  # Its static package names Threads::Threads in TBB::tbb's link interface
  # but does not find Threads (only the static build links it that way):
  # find it first.
  tbb_config=$TBB_ROOT/prefix/lib/cmake/TBB/TBBConfig.cmake
  { printf 'include(CMakeFindDependencyMacro)\nfind_dependency(Threads)\n'; cat "$tbb_config"; } > "$tbb_config.new"
  mv "$tbb_config.new" "$tbb_config"
  echo "$tbb_source $tbb_version" > "$TBB_ROOT/version"
  say "built libtbb.a from $tbb_source $tbb_version"
fi

# The sample the way an application would build it: against the installed
# package (fsvae::fsvae_static), its TBB::tbb the static one.
STATIC=$BUILD_ABS/static-sample
rm -rf "$STATIC"
cmake --build "$BUILD" --target fsvae_shared fsvae_static > /dev/null
cmake --install "$BUILD" --prefix "$STATIC/prefix" > /dev/null
cmake -S samples/c -B "$STATIC/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchain-aarch64.cmake" -DCMAKE_PREFIX_PATH="$STATIC/prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DTBB_DIR="$TBB_ROOT/prefix/lib/cmake/TBB" \
  -DFSVAE_SAMPLES_STATIC=ON -DCMAKE_EXE_LINKER_FLAGS=-static > "$STATIC/configure.log" 2>&1 || {
  cat "$STATIC/configure.log"; exit 1; }
cmake --build "$STATIC/build" > "$STATIC/build.log" 2>&1 || { cat "$STATIC/build.log"; exit 1; }
exe=$STATIC/build/generate_png
kind=$(file -b "$exe")
echo "$kind" | grep -q "ARM aarch64" || { echo "aarch64: $exe is not an AArch64 binary: $kind"; exit 1; }
echo "$kind" | grep -q "statically linked" || { echo "aarch64: $exe is not statically linked: $kind"; exit 1; }
aarch64-linux-gnu-strip -o "$STATIC/generate_png.stripped" "$exe"

echo "== static AArch64 generate_png (libfsvae.a, oneTBB, libstdc++, glibc linked in)"
printf "executable                 %10d bytes\n" "$(stat -c %s "$exe")"
printf "executable, stripped       %10d bytes\n" "$(stat -c %s "$STATIC/generate_png.stripped")"
aarch64-linux-gnu-size "$exe" | sed 's|[^ \t]*/||'
# What the executable is made of: the two archives, and what static glibc
# alone costs.
printf "libfsvae.a                 %10d bytes\n" "$(stat -c %s "$STATIC/prefix/lib/libfsvae.a")"
printf "libtbb.a                   %10d bytes\n" "$(stat -c %s "$TBB_ROOT/prefix/lib/libtbb.a")"
echo 'int main(void) { return 0; }' > "$STATIC/empty.c"
aarch64-linux-gnu-gcc -O2 -static "$STATIC/empty.c" -o "$STATIC/empty"
printf "an empty C program, static %10d bytes\n" "$(stat -c %s "$STATIC/empty")"
# No loader, no library path: it runs under plain qemu-aarch64.
for model in samples/fashion-mnist.fsvae samples/fashion-mnist-int8.fsvae; do
  png=$STATIC/$(basename "$model" .fsvae).png
  line=$(qemu-aarch64 "$exe" "$png" "$model") || { echo "aarch64: the static generate_png failed on $model"; exit 1; }
  echo "$line" | sed "s|$STATIC/||"
  echo "$line" | grep -q "kernels neon64" || { echo "aarch64: the static generate_png does not use neon64"; exit 1; }
  python3 scripts/check_png.py "$png"
done
# Memory, measured by the program itself (tests/capi/footprint.c, linked the
# same way): its heap lines are glibc's mallinfo2() inside the emulated
# program, so they are the program's own. Its RSS lines are left out, as is
# /usr/bin/time: under qemu-user both are the emulator's process.
aarch64-linux-gnu-gcc -std=c99 -O2 -Wall -Werror -DFSVAE_STATIC -I"$STATIC/prefix/include" \
  -c tests/capi/footprint.c -o "$STATIC/footprint.o"
aarch64-linux-gnu-g++ -static "$STATIC/footprint.o" "$STATIC/prefix/lib/libfsvae.a" \
  "$TBB_ROOT/prefix/lib/libtbb.a" -o "$STATIC/footprint" 2> "$STATIC/footprint-link.log" || {
  cat "$STATIC/footprint-link.log"; exit 1; }
file -b "$STATIC/footprint" | grep -q "statically linked" || { echo "aarch64: footprint is not statically linked"; exit 1; }
for model in samples/fashion-mnist.fsvae samples/fashion-mnist-int8.fsvae; do
  echo "-- heap (tests/capi/footprint.c, static, under qemu-aarch64): $model"
  qemu-aarch64 "$STATIC/footprint" "$model" > "$STATIC/footprint.out" || {
    cat "$STATIC/footprint.out"; echo "aarch64: footprint failed on $model"; exit 1; }
  grep -v RSS "$STATIC/footprint.out"
done
say "static C sample: $(( $(date +%s) - static_start )) s"
