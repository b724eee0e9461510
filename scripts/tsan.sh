#!/usr/bin/env bash
# tsan.sh: the concurrent-session tests of the C API under ThreadSanitizer.
# Configures a separate build (every target compiled with -fsanitize=thread,
# so the runtime and kernels are instrumented too, not only the tests), builds
# only the C API test program, and runs the tests whose names contain
# "concurrent": 8 sessions on 8 threads sharing one model, half of them
# batching through oneTBB, and concurrent loads and session churn.
# Usage: scripts/tsan.sh [BUILD_DIR]   (default: build-tsan)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-tsan}
start=$(date +%s)

# -O1: TSan's reports keep usable stacks and the run stays within minutes.
flags="-fsanitize=thread -g -O1 -fno-omit-frame-pointer"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread \
  -DFSVAE_BUILD_TOOLS=OFF -DFSVAE_BUILD_TESTS=ON > /dev/null
cmake --build "$BUILD" --target fsvae_capi_tests
echo "tsan: built in $(( $(date +%s) - start )) s"

# halt_on_error: the first race fails the run. The suppressions file names
# what is outside this project's reach (see its comments).
export TSAN_OPTIONS="halt_on_error=1 abort_on_error=0 exitcode=66 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp ${TSAN_OPTIONS:-}"
ctest --test-dir "$BUILD" -R concurrent --output-on-failure
echo "tsan: done in $(( $(date +%s) - start )) s"
