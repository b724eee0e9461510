#!/usr/bin/env bash
# The fsvae command line as a user meets it: outputs, determinism across
# thread counts and batch sizes, and one clear error line per bad input.
set -u
FSVAE=$1
MODEL=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect_error NAME PATTERN CMD...: non-zero exit, one stderr line matching PATTERN.
expect_error() {
  local name=$1 pattern=$2; shift 2
  local err
  if "$@" > /dev/null 2> "$tmp/err"; then bad "$name: exit 0"; return; fi
  err=$(cat "$tmp/err")
  if ! grep -qE -- "$pattern" "$tmp/err"; then bad "$name: stderr '$err' lacks /$pattern/"; return; fi
  if [ "$(wc -l < "$tmp/err")" -gt 3 ]; then bad "$name: more than a short message: $err"; return; fi
  ok
}

# Outputs.
"$FSVAE" generate --model "$MODEL" --count 8 --seed 5 --output "$tmp/g.png" > /dev/null || bad "png"
[ -s "$tmp/g.png" ] && head -c 8 "$tmp/g.png" | od -An -c | grep -q 'P   N   G' && ok || bad "png magic"
"$FSVAE" generate --model "$MODEL" --count 8 --seed 5 --threads 1 --output "$tmp/a.npy" > /dev/null || bad "npy1"
"$FSVAE" generate --model "$MODEL" --count 8 --seed 5 --threads 2 --output "$tmp/b.npy" > /dev/null || bad "npy2"
"$FSVAE" generate --model "$MODEL" --count 64 --seed 5 --threads 2 --output "$tmp/c.npy" > /dev/null || bad "npy64"
cmp -s "$tmp/a.npy" "$tmp/b.npy" && ok || bad "threads 1 vs 2 differ"
# First 8 images of 64: the header differs (shape), so compare the data.
hdr8=$(( $(stat -c %s "$tmp/a.npy") - 8 * 1024 * 4 ))
hdr64=$(( $(stat -c %s "$tmp/c.npy") - 64 * 1024 * 4 ))
cmp -s <(tail -c +$((hdr8 + 1)) "$tmp/a.npy") <(tail -c +$((hdr64 + 1)) "$tmp/c.npy" | head -c $((8 * 1024 * 4))) \
  && ok || bad "count 8 vs first 8 of 64 differ"
head -c 128 "$tmp/c.npy" | grep -q "'shape': (64, 1, 32, 32)" && ok || bad "npy shape"
"$FSVAE" info --model "$MODEL" > "$tmp/info" || bad "info"
grep -q "parameters   4036513" "$tmp/info" && grep -qE "kernels +(avx512|avx2|sse2|neon64|scalar)" "$tmp/info" \
  && ok || bad "info content"

# Errors.
expect_error "missing model" "fsvae: $tmp/none.fsvae: cannot open model file" \
  "$FSVAE" generate --model "$tmp/none.fsvae" --output "$tmp/x.png"
: > "$tmp/empty.fsvae"
expect_error "empty model" "empty.fsvae: model file is empty" \
  "$FSVAE" generate --model "$tmp/empty.fsvae" --output "$tmp/x.png"
head -c 100000 "$MODEL" > "$tmp/trunc.fsvae"
expect_error "truncated model" "trunc.fsvae: corrupted model" \
  "$FSVAE" generate --model "$tmp/trunc.fsvae" --output "$tmp/x.png"
cp "$tmp/g.png" "$tmp/png.fsvae"
expect_error "wrong identifier" "png.fsvae: not an fsvae model" \
  "$FSVAE" info --model "$tmp/png.fsvae"
expect_error "bad output extension" "x.jpg: unknown output format" \
  "$FSVAE" generate --model "$MODEL" --count 1 --output "$tmp/x.jpg"
expect_error "unwritable output" "nodir/x.png: cannot write output" \
  "$FSVAE" generate --model "$MODEL" --count 1 --output "$tmp/nodir/x.png"
expect_error "bad count" "count" "$FSVAE" generate --model "$MODEL" --count 0 --output "$tmp/x.png"
expect_error "non-numeric seed" "seed" "$FSVAE" generate --model "$MODEL" --seed abc --output "$tmp/x.png"
expect_error "missing output" "output" "$FSVAE" generate --model "$MODEL"
expect_error "no subcommand" "subcommand" "$FSVAE"
[ ! -e "$tmp/x.png" ] && [ ! -e "$tmp/x.jpg" ] && ok || bad "an error left an output file"
ls -A "$tmp" | grep -q '\.tmp-' && bad "temporary file left behind" || ok

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
