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
# bench: runs every configuration and reports the same work per image as the
# profile of the same images (seed 1). Its times are not checked.
"$FSVAE" bench --model "$MODEL" --count 4 --threads 2 --repeat 1 > "$tmp/bench" || bad "bench"
for line in "event-driven, batch 1, 1 thread" "event-driven, batch 4, 2 threads" "dense mode, batch 4" \
    "read_image half way" "2 threads vs 1 thread" \
    "bound synaptic ops / peak" "dense GEMM, batch 1, 1 thread" "dense GEMM, batch 4, 1 thread" \
    "event-driven vs dense GEMM, batch 4:" "event-driven vs dense bound, batch 4:" \
    "dense GEMM: OpenBLAS core " "sgemm reached " "G FMA/s" "dense bound dense MACs / peak FMA = "; do
  grep -qF "$line" "$tmp/bench" && ok || bad "bench output lacks '$line'"
done
"$FSVAE" profile --model "$MODEL" --count 4 --seed 1 --json "$tmp/bench.json" > /dev/null || bad "bench profile"
ops=$(grep -oE '"synaptic_ops_per_image": *[0-9.e+]+' "$tmp/bench.json" | grep -oE '[0-9.e+]+$')
want=$(printf "%.3g" "$ops")
[ -n "$ops" ] && ok || bad "profile JSON lacks synaptic_ops_per_image"
grep -qF "  synaptic ops $want (" "$tmp/bench" && ok || bad "bench synaptic ops differ from the profile's $want"
"$FSVAE" info --model "$MODEL" > "$tmp/info" || bad "info"
grep -q "parameters   4036513" "$tmp/info" && grep -qE "kernels +(avx512|avx2|sse2|neon64|scalar)" "$tmp/info" \
  && ok || bad "info content"

# Reconstruction: from the Fashion-MNIST test set, from a PNG, and from our own .npy.
IDX=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
"$FSVAE" reconstruct --model "$MODEL" --input "$IDX" --count 16 --output "$tmp/r.npy" > "$tmp/r.out" || bad "reconstruct npy"
grep -qE "^MSE 0\.[0-9]+ over 16 images" "$tmp/r.out" && ok || bad "reconstruct prints MSE: $(cat "$tmp/r.out")"
head -c 128 "$tmp/r.npy" | grep -q "'shape': (16, 1, 32, 32)" && ok || bad "reconstruct npy shape"
"$FSVAE" reconstruct --model "$MODEL" --input "$IDX" --count 16 --threads 1 --output "$tmp/r1.npy" > /dev/null || bad "reconstruct 1 thread"
cmp -s "$tmp/r.npy" "$tmp/r1.npy" && ok || bad "reconstruct depends on threads"
"$FSVAE" reconstruct --model "$MODEL" --input "$IDX" --count 4 --output "$tmp/r.png" > /dev/null || bad "reconstruct png"
[ -s "$tmp/r.png" ] && ok || bad "reconstruct png written"
"$FSVAE" reconstruct --model "$MODEL" --input "$tmp/g.png" --output "$tmp/rp.npy" > "$tmp/rp.out" || bad "reconstruct from png"
grep -q "over 1 images" "$tmp/rp.out" && ok || bad "png input is one image"
"$FSVAE" reconstruct --model "$MODEL" --input "$tmp/a.npy" --output "$tmp/rn.npy" > "$tmp/rn.out" || bad "reconstruct from npy"
grep -q "over 8 images" "$tmp/rn.out" && ok || bad "npy input holds 8 images"

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
expect_error "missing input" "fsvae: $tmp/none.idx: " \
  "$FSVAE" reconstruct --model "$MODEL" --input "$tmp/none.idx" --output "$tmp/x.png"
head -c 5000 "$IDX" > "$tmp/cut.gz"
expect_error "truncated gzip input" "cut.gz: " \
  "$FSVAE" reconstruct --model "$MODEL" --input "$tmp/cut.gz" --output "$tmp/x.png"
printf 'GIF89a....' > "$tmp/img.gif"
expect_error "unknown input format" "img.gif: " \
  "$FSVAE" reconstruct --model "$MODEL" --input "$tmp/img.gif" --output "$tmp/x.png"
expect_error "reconstruct needs input" "input" "$FSVAE" reconstruct --model "$MODEL" --output "$tmp/x.png"
expect_error "profile reconstruct needs input" "needs --input" \
  "$FSVAE" profile --model "$MODEL" --mode reconstruct --json "$tmp/x.json"
[ ! -e "$tmp/x.json" ] && ok || bad "profile error left a file"
[ ! -e "$tmp/x.png" ] && [ ! -e "$tmp/x.jpg" ] && ok || bad "an error left an output file"
ls -A "$tmp" | grep -q '\.tmp-' && bad "temporary file left behind" || ok

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
