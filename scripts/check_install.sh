#!/usr/bin/env bash
# check_install.sh: the installed package, as a consumer sees it.
#  1. configures, builds and installs fsvae-rt (Release, Ninja, no tests, no
#     CLI) into a temporary prefix;
#  2. checks the installed headers: only include/fsvae/fsvae.h and fsvae.hpp,
#     no dependency header included, fsvae.h compiled as strict C99 and the
#     wrapper as C++20 with and without exceptions;
#  3. builds samples/ against that prefix only (shared library, then static),
#     runs both programs and checks their outputs: a valid non-blank PNG, and
#     16 per-step images that each differ from the one before.
# Usage: scripts/check_install.sh [BUILD_DIR]   (default: build-install; kept
# between runs so a second run only rebuilds what changed)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
BUILD=${1:-build-install}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PREFIX=$TMP/prefix
start=$(date +%s)
step() { echo "check_install: $* ($(( $(date +%s) - start )) s)"; }

step "configure + build + install into a temporary prefix"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFSVAE_BUILD_TESTS=OFF \
  -DFSVAE_BUILD_TOOLS=OFF -DCMAKE_INSTALL_PREFIX="$PREFIX" > "$TMP/configure.log"
cmake --build "$BUILD" --target fsvae_shared fsvae_static > "$TMP/build.log" || { cat "$TMP/build.log"; exit 1; }
cmake --install "$BUILD" > "$TMP/install.log"

step "installed files"
(cd "$PREFIX" && find . -type f -o -type l | sort | sed 's|^\./|  |')
headers=$(cd "$PREFIX/include" && find . -type f | sort | tr '\n' ' ')
[ "$headers" = "./fsvae/fsvae.h ./fsvae/fsvae.hpp " ] || { echo "unexpected headers: $headers"; exit 1; }
if grep -hE '^\s*#\s*include' "$PREFIX"/include/fsvae/* | grep -vE '<(fsvae/fsvae\.h|std(def|int|except)\.h|c?std(def|int)|span|string|utility|vector|stdexcept|cstddef|cstdint)>'; then
  echo "a public header includes something beyond the standard library"; exit 1
fi
for f in lib/libfsvae.so lib/libfsvae.a lib/cmake/fsvae/fsvaeConfig.cmake \
         lib/cmake/fsvae/fsvaeConfigVersion.cmake share/fsvae/fashion-mnist.fsvae; do
  [ -e "$PREFIX/$f" ] || { echo "missing $f"; exit 1; }
done

step "public headers: C99, C++20, C++20 without exceptions"
gcc -std=c99 -Wall -Wextra -Werror -pedantic -fsyntax-only -x c "$PREFIX/include/fsvae/fsvae.h"
echo '#include <fsvae/fsvae.hpp>' > "$TMP/wrapper.cpp"
g++ -std=c++20 -Wall -Wextra -Werror -pedantic -fsyntax-only -I"$PREFIX/include" "$TMP/wrapper.cpp"
g++ -std=c++20 -Wall -Wextra -Werror -pedantic -fsyntax-only -fno-exceptions -DFSVAE_NO_EXCEPTIONS \
  -I"$PREFIX/include" "$TMP/wrapper.cpp"

# The samples see the prefix only: no package registry, no source tree.
for kind in shared static; do
  static=OFF; [ $kind = static ] && static=ON
  step "samples against the installed package ($kind library)"
  cmake -S samples -B "$TMP/samples-$kind" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
    -DFSVAE_SAMPLES_STATIC=$static > "$TMP/samples-$kind.log"
  cmake --build "$TMP/samples-$kind" > "$TMP/samples-build-$kind.log" || { cat "$TMP/samples-build-$kind.log"; exit 1; }

  # No model argument: the default is the installed share/fsvae model.
  (cd "$TMP" && "$TMP/samples-$kind/c/generate_png" "$TMP/$kind.png" "" 2>/dev/null) && {
    echo "generate_png accepted an empty model path"; exit 1; }
  "$TMP/samples-$kind/c/generate_png" "$TMP/$kind.png"
  /usr/bin/python3 scripts/check_png.py "$TMP/$kind.png"

  "$TMP/samples-$kind/cpp/stream_steps" "$TMP/steps-$kind" | tail -3
  n=$(ls "$TMP/steps-$kind"/step_*.pgm | wc -l)
  [ "$n" -eq 16 ] || { echo "expected 16 step images, got $n"; exit 1; }
  prev=""
  for f in "$TMP/steps-$kind"/step_*.pgm; do
    if [ -n "$prev" ] && cmp -s "$prev" "$f"; then echo "$f equals the step before"; exit 1; fi
    prev=$f
  done
done
cmp "$TMP/shared.png" "$TMP/static.png" || { echo "shared and static builds differ"; exit 1; }
cmp "$TMP/steps-shared/step_16.pgm" "$TMP/steps-static/step_16.pgm"

step "ok"
