#!/usr/bin/env bash
# footprint.sh: the embedding footprint, printed from measurements: library
# sizes (static, shared, shared stripped), the model file, heap and RSS of a
# loaded model and of each session (tests/capi/footprint.c, against the
# installed package), for the fp32 and the int8 model, and the peak RSS of the C sample generating one image
# (/usr/bin/time -v). docs/embedding.md quotes its output.
# Usage: scripts/footprint.sh [BUILD_DIR]   (default: build-install, shared
# with scripts/check_install.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-install}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PREFIX=$TMP/prefix
[ -x /usr/bin/time ] || { echo "footprint: needs /usr/bin/time (Debian package: time)"; exit 1; }

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFSVAE_BUILD_TESTS=OFF \
  -DFSVAE_BUILD_TOOLS=OFF -DCMAKE_INSTALL_PREFIX="$PREFIX" > /dev/null
cmake --build "$BUILD" --target fsvae_shared fsvae_static > /dev/null
cmake --install "$BUILD" > /dev/null

size() { stat -c %s "$1"; }
strip -o "$TMP/libfsvae.stripped.so" "$PREFIX/lib/libfsvae.so"
echo "== sizes (bytes)"
printf "libfsvae.a                 %10d\n" "$(size "$PREFIX/lib/libfsvae.a")"
printf "libfsvae.so                %10d\n" "$(size "$(readlink -f "$PREFIX/lib/libfsvae.so")")"
printf "libfsvae.so, stripped      %10d\n" "$(size "$TMP/libfsvae.stripped.so")"
printf "model file                 %10d\n" "$(size "$PREFIX/share/fsvae/fashion-mnist.fsvae")"
printf "model file, int8           %10d\n" "$(size samples/fashion-mnist-int8.fsvae)"
echo "libfsvae.so needs: $(readelf -d "$PREFIX/lib/libfsvae.so" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')"

echo "== memory (tests/capi/footprint.c)"
gcc -std=c99 -O2 -Wall -Werror tests/capi/footprint.c -I"$PREFIX/include" -L"$PREFIX/lib" -lfsvae \
  -Wl,-rpath,"$PREFIX/lib" -o "$TMP/footprint"
echo "-- fp32 (the installed model)"
"$TMP/footprint" "$PREFIX/share/fsvae/fashion-mnist.fsvae"
echo "-- int8 (samples/fashion-mnist-int8.fsvae: int8 weights, per-channel scales)"
"$TMP/footprint" samples/fashion-mnist-int8.fsvae

echo "== peak RSS, /usr/bin/time -v"
cmake -S samples/c -B "$TMP/sample" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PREFIX" > /dev/null
cmake --build "$TMP/sample" > /dev/null
echo 'int main(void) { return 0; }' > "$TMP/empty.c"
gcc -O2 "$TMP/empty.c" -o "$TMP/empty"
peak() { /usr/bin/time -v "$@" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p'; }
printf "generate_png (1 image)     %10d KiB\n" "$(peak "$TMP/sample/generate_png" "$TMP/out.png")"
printf "an empty C program         %10d KiB\n" "$(peak "$TMP/empty")"
