#!/usr/bin/env bash
# hardening.sh: the CI hardening job. One clang build with AddressSanitizer,
# UndefinedBehaviorSanitizer (no recovery: the first report fails) and
# libFuzzer coverage; in it, the C++ tests and the command-line tests (the
# Python ones are left to scripts/test.sh), then a short libFuzzer run of
# every fuzz target from its committed corpus and regression inputs.
# ThreadSanitizer is scripts/tsan.sh's job.
#
# Usage: scripts/hardening.sh [BUILD_DIR]      (default: build-hardening)
#   FSVAE_FUZZ_SECONDS  fuzzing time shared by the targets (default 60)
# Prints the time of each phase; see docs/robustness.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build-hardening}
FUZZ_SECONDS=${FSVAE_FUZZ_SECONDS:-60}
TARGETS=(model model_edits idx png npy)

start=$SECONDS
phase_start=$SECONDS
phase() {
  echo "hardening: $1 took $((SECONDS - phase_start)) s"
  phase_start=$SECONDS
}

# clang and its libFuzzer/sanitizer runtimes come with the test tools.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  > "$probe/t.cpp"
if ! clang++ -fsanitize=fuzzer,address,undefined "$probe/t.cpp" -o "$probe/t" 2> /dev/null; then
  echo "hardening: clang with libFuzzer missing; installing the test tools"
  bash scripts/setup.sh --test-tools build
fi

export ASAN_OPTIONS=detect_leaks=1:check_initialization_order=1:strict_init_order=1
export UBSAN_OPTIONS=print_stacktrace=1

CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFSVAE_SANITIZE=address,undefined -DFSVAE_FUZZ=ON > /dev/null
cmake --build "$BUILD_DIR"
phase "sanitizer build"

ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" -E '^python\.'
phase "tests under ASan+UBSan"

# Each target from the committed seeds and regressions; what it learns goes
# to a scratch folder, so the tree is left as it was.
work="$BUILD_DIR/fuzz-smoke"
rm -rf "$work"
per=$(( FUZZ_SECONDS / ${#TARGETS[@]} ))
[ "$per" -ge 1 ] || per=1
for t in "${TARGETS[@]}"; do
  mkdir -p "$work/$t" "$work/artifacts"
  dirs=("$work/$t" "tests/fuzz/corpus/$t")
  [ -d "tests/fuzz/regressions/$t" ] && dirs+=("tests/fuzz/regressions/$t")
  if ! "$BUILD_DIR/tests/fuzz/fuzz_$t" -max_total_time="$per" -timeout=30 -rss_limit_mb=2048 \
      -max_len=65536 -artifact_prefix="$work/artifacts/$t-" "${dirs[@]}" > "$work/$t.log" 2>&1; then
    tail -n 60 "$work/$t.log"
    echo "hardening: fuzz_$t failed; the input is in $work/artifacts/ (add it to tests/fuzz/regressions/$t/ once fixed)"
    exit 1
  fi
  echo "hardening: fuzz_$t: $(grep -Eo '^#[0-9]+' "$work/$t.log" | tail -1 | tr -d '#') runs in ${per} s, no finding"
done
phase "fuzz smoke run"

echo "hardening: all passed in $((SECONDS - start)) s"
