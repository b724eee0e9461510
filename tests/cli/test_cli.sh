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
    "event-driven, batch 1, 2 threads" "read_image half way" "2 threads vs 1 thread, batch 1" \
    "2 threads vs 1 thread, batch 4" \
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

# --version: the project version (CMakeLists.txt's) and the kernel table in use.
src=$(cd "$(dirname "$0")/../.." && pwd)
want_version=$(grep -oE 'project\(fsvae VERSION [0-9.]+' "$src/CMakeLists.txt" | grep -oE '[0-9.]+$')
"$FSVAE" --version > "$tmp/version" 2>&1 || bad "--version exit status"
[ "$(head -1 "$tmp/version")" = "fsvae $want_version" ] && ok || bad "--version: '$(cat "$tmp/version")', expected fsvae $want_version"
grep -qE "^kernels (avx512|avx2|sse2|neon64|scalar) \(available: .*scalar\)$" "$tmp/version" && ok \
  || bad "--version lacks the kernels: $(cat "$tmp/version")"
FSVAE_ISA=scalar "$FSVAE" --version | grep -q "^kernels scalar " && ok || bad "--version ignores FSVAE_ISA"

# imgs FILE TOTAL FROM COUNT: the bytes of images FROM .. FROM+COUNT-1 of a
# .npy holding TOTAL 32x32 images (4096 bytes each, after the header).
imgs() { tail -c $(($2 * 4096)) "$1" | tail -c +$(($3 * 4096 + 1)) | head -c $(($4 * 4096)); }
# --first-index: image i is sampler index N + i, so any image can be made alone.
"$FSVAE" generate --model "$MODEL" --count 3 --seed 5 --first-index 5 --output "$tmp/f.npy" > /dev/null \
  || bad "generate --first-index"
head -c 128 "$tmp/f.npy" | grep -q "'shape': (3, 1, 32, 32)" && ok || bad "--first-index npy shape"
cmp -s <(imgs "$tmp/a.npy" 8 5 3) <(imgs "$tmp/f.npy" 3 0 3) && ok \
  || bad "generate --first-index 5 --count 3 differs from images 5..7 of --count 8"
expect_error "first index overflows" "first-index" \
  "$FSVAE" generate --model "$MODEL" --count 2 --first-index 18446744073709551615 --output "$tmp/x.npy"
# --offset: a slice of a multi-image input; its first index follows the
# images' position in the file unless --first-index says otherwise.
"$FSVAE" reconstruct --model "$MODEL" --input "$tmp/a.npy" --output "$tmp/ra.npy" > /dev/null || bad "reconstruct all 8"
"$FSVAE" reconstruct --model "$MODEL" --input "$tmp/a.npy" --offset 5 --count 3 --output "$tmp/ro.npy" \
  > "$tmp/ro.out" || bad "reconstruct --offset"
grep -q "over 3 images" "$tmp/ro.out" && ok || bad "--offset 5 --count 3 reads 3 images: $(cat "$tmp/ro.out")"
cmp -s <(imgs "$tmp/ra.npy" 8 5 3) <(imgs "$tmp/ro.npy" 3 0 3) && ok \
  || bad "reconstruct --offset 5 --count 3 differs from images 5..7 of the whole file"
"$FSVAE" reconstruct --model "$MODEL" --input "$tmp/a.npy" --offset 5 --count 3 --first-index 5 \
  --output "$tmp/ro5.npy" > /dev/null || bad "reconstruct --offset --first-index"
cmp -s "$tmp/ro.npy" "$tmp/ro5.npy" && ok || bad "--offset 5 does not imply --first-index 5"
# f.npy holds exactly images 5..7 of a.npy: from index 5 they reconstruct alike.
"$FSVAE" reconstruct --model "$MODEL" --input "$tmp/f.npy" --first-index 5 --output "$tmp/rf.npy" > /dev/null \
  || bad "reconstruct --first-index"
cmp -s "$tmp/ro.npy" "$tmp/rf.npy" && ok || bad "reconstruct --first-index 5 of images 5..7 differs"
"$FSVAE" reconstruct --model "$MODEL" --input "$tmp/f.npy" --output "$tmp/rf0.npy" > /dev/null || bad "reconstruct f.npy"
cmp -s "$tmp/rf.npy" "$tmp/rf0.npy" && bad "reconstruct ignores --first-index" || ok
"$FSVAE" reconstruct --model "$MODEL" --input "$IDX" --offset 9990 --output "$tmp/ri.npy" > "$tmp/ri.out" \
  || bad "reconstruct --offset on IDX"
grep -q "over 10 images" "$tmp/ri.out" && ok || bad "--offset 9990 of 10000 IDX images: $(cat "$tmp/ri.out")"
gzip -dc "$IDX" > "$tmp/plain-idx3-ubyte"
"$FSVAE" reconstruct --model "$MODEL" --input "$tmp/plain-idx3-ubyte" --offset 9990 --output "$tmp/rpi.npy" \
  > /dev/null || bad "reconstruct --offset on plain IDX"
cmp -s "$tmp/ri.npy" "$tmp/rpi.npy" && ok || bad "--offset 9990: plain and gzip IDX differ"
"$FSVAE" reconstruct --model "$MODEL" --input "$IDX" --count 8 --output "$tmp/ri8.npy" > /dev/null || bad "IDX 8"
"$FSVAE" reconstruct --model "$MODEL" --input "$IDX" --offset 5 --count 3 --output "$tmp/ri53.npy" > /dev/null \
  || bad "IDX --offset 5 --count 3"
cmp -s <(imgs "$tmp/ri8.npy" 8 5 3) <(imgs "$tmp/ri53.npy" 3 0 3) && ok \
  || bad "IDX --offset 5 --count 3 differs from images 5..7 of --count 8"
"$FSVAE" profile --model "$MODEL" --mode reconstruct --input "$tmp/a.npy" --offset 5 --count 3 \
  --json "$tmp/po.json" > /dev/null || bad "profile --offset"
tr -d ' \n' < "$tmp/po.json" | grep -q '"images":3,"seed":0,"first_index":5,.*"offset":5}' && ok \
  || bad "profile --offset 5 --count 3: run is $(tr -d ' \n' < "$tmp/po.json" | grep -oE '"run":\{[^}]*\}')"
expect_error "offset past the end" "a.npy: offset 8 is past the last image \(the file holds 8\)" \
  "$FSVAE" reconstruct --model "$MODEL" --input "$tmp/a.npy" --offset 8 --output "$tmp/x.npy"
expect_error "offset in a PNG" "g.png: offset 1 is past the last image \(the file holds 1\)" \
  "$FSVAE" reconstruct --model "$MODEL" --input "$tmp/g.png" --offset 1 --output "$tmp/x.npy"
expect_error "profile --input when generating" "fsvae: --input and --offset are for --mode reconstruct" \
  "$FSVAE" profile --model "$MODEL" --input "$tmp/a.npy" --json "$tmp/x.json"
expect_error "profile --offset when generating" "fsvae: --input and --offset are for --mode reconstruct" \
  "$FSVAE" profile --model "$MODEL" --offset 2 --json "$tmp/x.json"

# A bad FSVAE_ISA is an error for every subcommand, not a silent fallback.
case $(uname -m) in aarch64|arm64) missing_isa=avx2 ;; *) missing_isa=neon64 ;; esac
for isa in bogus "$missing_isa"; do
  for cmd in "generate --output $tmp/x.npy" "reconstruct --input $tmp/a.npy --output $tmp/x.npy" \
      "profile --json $tmp/x.json" "bench --count 1 --repeat 1" "info"; do
    # shellcheck disable=SC2086
    expect_error "FSVAE_ISA=$isa ${cmd%% *}" "^fsvae: FSVAE_ISA=$isa: .*\(available: .*scalar\)$" \
      env FSVAE_ISA=$isa "$FSVAE" $cmd --model "$MODEL"
  done
done
expect_error "FSVAE_ISA=bogus --version" "^fsvae: FSVAE_ISA=bogus: " env FSVAE_ISA=bogus "$FSVAE" --version

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
