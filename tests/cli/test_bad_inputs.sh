#!/usr/bin/env bash
# Bad inputs as a user of the fsvae command line meets them: for each class
# of docs/robustness.md's table, the exact line printed, exit status 1, and
# no output file left behind or damaged.
# Usage: test_bad_inputs.sh FSVAE MODEL
set -u
FSVAE=$1
MODEL=$2
tmp=$(mktemp -d)
trap 'umount "$tmp/small" 2> /dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect NAME EXACT_STDERR CMD...: exit status 1 and exactly this one line.
expect() {
  local name=$1 want=$2; shift 2
  "$@" > /dev/null 2> "$tmp/err"
  local rc=$? got
  got=$(cat "$tmp/err")
  if [ "$rc" -ne 1 ]; then bad "$name: exit $rc (stderr: $got)"; return; fi
  if [ "$got" != "$want" ]; then bad "$name: stderr '$got', expected '$want'"; return; fi
  ok
}

G=("$FSVAE" generate --count 4)
R=("$FSVAE" reconstruct)

# ---- model files ------------------------------------------------------------
expect "missing model" "fsvae: $tmp/none.fsvae: cannot open model file" \
  "${G[@]}" --model "$tmp/none.fsvae" --output "$tmp/o.npy"
mkdir "$tmp/dir.fsvae"
expect "model is a directory" "fsvae: $tmp/dir.fsvae: is a directory, not a model file" \
  "${G[@]}" --model "$tmp/dir.fsvae" --output "$tmp/o.npy"
: > "$tmp/empty.fsvae"
expect "empty model" "fsvae: $tmp/empty.fsvae: model file is empty" \
  "${G[@]}" --model "$tmp/empty.fsvae" --output "$tmp/o.npy"
head -c 5 "$MODEL" > "$tmp/tiny.fsvae"
expect "5-byte model" "fsvae: $tmp/tiny.fsvae: file is too short to be an fsvae model (5 bytes)" \
  "${G[@]}" --model "$tmp/tiny.fsvae" --output "$tmp/o.npy"
head -c 1000000 "$MODEL" > "$tmp/trunc.fsvae"
expect "truncated model" \
  "fsvae: $tmp/trunc.fsvae: corrupted model: the FlatBuffer failed verification (truncated or damaged file)" \
  "${G[@]}" --model "$tmp/trunc.fsvae" --output "$tmp/o.npy"
truncate -s 3G "$tmp/huge.fsvae"  # sparse: no disk space used
expect "model over 2 GiB" "fsvae: $tmp/huge.fsvae: model file is larger than 2 GiB, the FlatBuffers limit" \
  "${G[@]}" --model "$tmp/huge.fsvae" --output "$tmp/o.npy"
printf 'PK\003\004zip archive, not a model' > "$tmp/zip.fsvae"
expect "wrong identifier" \
  "fsvae: $tmp/zip.fsvae: not an fsvae model: file identifier is \"zip \", expected \"FSVA\"" \
  "${G[@]}" --model "$tmp/zip.fsvae" --output "$tmp/o.npy"

# ---- input images -----------------------------------------------------------
expect "missing input" "fsvae: $tmp/none.png: cannot open: No such file or directory" \
  "${R[@]}" --model "$MODEL" --input "$tmp/none.png" --output "$tmp/o.npy"
expect "input is a directory" "fsvae: $tmp: is a directory, not an image file" \
  "${R[@]}" --model "$MODEL" --input "$tmp" --output "$tmp/o.npy"
: > "$tmp/empty.png"
expect "empty input" "fsvae: $tmp/empty.png: empty file" \
  "${R[@]}" --model "$MODEL" --input "$tmp/empty.png" --output "$tmp/o.npy"
printf '\211PNG\r\n\032\n\000\000\000\015IHDR\000\000' > "$tmp/cut.png"
expect "truncated PNG" "fsvae: $tmp/cut.png: malformed or truncated PNG (IHDR chunk of 13 bytes runs past the end of the file)" \
  "${R[@]}" --model "$MODEL" --input "$tmp/cut.png" --output "$tmp/o.npy"
printf 'GIF89a\001\000\001\000' > "$tmp/pic.gif"
expect "unknown format" \
  "fsvae: $tmp/pic.gif: unknown image format (first bytes 47 49 46 38 39 61 01 00); expected IDX (plain or gzip), PNG or .npy" \
  "${R[@]}" --model "$MODEL" --input "$tmp/pic.gif" --output "$tmp/o.npy"
# An RGB .npy for a one-channel model.
dict="{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }"
pad=$(( (64 - (10 + ${#dict} + 1) % 64) % 64 ))
{ printf '\223NUMPY\001\000'; printf "\\$(printf %03o $(( ${#dict} + pad + 1 )))\\000"
  printf "%s%*s\n" "$dict" "$pad" ''; head -c 12288 /dev/zero; } > "$tmp/rgb.npy"
expect "wrong channel count" \
  "fsvae: $tmp/rgb.npy: .npy shape (1, 3, 32, 32) has 3 channels but the model expects 1" \
  "${R[@]}" --model "$MODEL" --input "$tmp/rgb.npy" --output "$tmp/o.npy"
# An IDX header claiming 2^31 images of 28x28 in a 116-byte file.
{ printf '\000\000\010\003\200\000\000\000\000\000\000\034\000\000\000\034'; head -c 100 /dev/zero; } > "$tmp/huge-idx3-ubyte"
expect "absurd image count" \
  "fsvae: $tmp/huge-idx3-ubyte: truncated: header says 2147483648 images of 28x28 but the file holds 100 bytes of pixels" \
  "${R[@]}" --model "$MODEL" --input "$tmp/huge-idx3-ubyte" --output "$tmp/o.npy"
expect "absurd count" "fsvae: --count 16777216 needs more than 4 GiB of images; generate in parts" \
  "$FSVAE" generate --model "$MODEL" --count 16777216 --output "$tmp/o.npy"

# ---- outputs ----------------------------------------------------------------
: > "$tmp/plainfile"
expect "output under a file" "fsvae: $tmp/plainfile/o.npy: cannot write output: Not a directory" \
  "${G[@]}" --model "$MODEL" --output "$tmp/plainfile/o.npy"
mkdir "$tmp/taken.npy"
expect "output is a directory" "fsvae: $tmp/taken.npy: cannot write output: Is a directory" \
  "${G[@]}" --model "$MODEL" --output "$tmp/taken.npy"
expect "output in a missing directory" "fsvae: $tmp/no/o.npy: cannot write output: No such file or directory" \
  "${G[@]}" --model "$MODEL" --output "$tmp/no/o.npy"

# Disk full, as a file-size limit: 32 images are 128 KiB of .npy; allow 16 KiB.
# SIGXFSZ ignored (inherited through exec) so that write fails with EFBIG.
printf 'keep me' > "$tmp/full.npy"
expect "file size limit" "fsvae: $tmp/full.npy: cannot write output: File too large" \
  bash -c 'trap "" XFSZ; ulimit -f 16; exec "$@"' _ "$FSVAE" generate --model "$MODEL" --count 32 --output "$tmp/full.npy"
[ "$(cat "$tmp/full.npy")" = "keep me" ] && ok || bad "file size limit: existing output changed"

# Disk full, for real, on a 64 KiB tmpfs where this may mount one.
mkdir "$tmp/small"
if mount -t tmpfs -o size=64k tmpfs "$tmp/small" 2> /dev/null; then
  printf 'keep me' > "$tmp/small/o.npy"
  expect "disk full" "fsvae: $tmp/small/o.npy: cannot write output: No space left on device" \
    "$FSVAE" generate --model "$MODEL" --count 32 --output "$tmp/small/o.npy"
  [ "$(cat "$tmp/small/o.npy")" = "keep me" ] && ok || bad "disk full: existing output changed"
  [ "$(ls -A "$tmp/small")" = "o.npy" ] && ok || bad "disk full: left $(ls -A "$tmp/small")"
  umount "$tmp/small"
else
  echo "skipped: disk-full case on tmpfs (cannot mount here; needs root with CAP_SYS_ADMIN)"
fi

# ---- text that is not UTF-8 -------------------------------------------------
# A path, or a model's dataset and source strings, may hold any bytes; the
# profile's JSON and HTML stay valid UTF-8 (invalid bytes written as \xNN).
mkdir "$tmp/u"
ff=$(printf '\377')
cp "$MODEL" "$tmp/u/m$ff.fsvae"
"$FSVAE" generate --model "$MODEL" --count 2 --output "$tmp/u/in$ff.npy" > /dev/null 2>&1
# The bundled model with its dataset ("fashion-mnist") and the start of its
# source ("fashion-mnist-fsvae.pth ...") overwritten, same lengths, by bytes
# that are not UTF-8.
python3 - "$MODEL" "$tmp/u/strings.fsvae" << 'EOF_PY'
import sys
b = open(sys.argv[1], "rb").read()
b = b.replace(b"\x0d\x00\x00\x00fashion-mnist\x00", b"\x0d\x00\x00\x00fashion-mn\xc3\x28t\x00", 1)
b = b.replace(b"fashion-mnist-fsvae.pth", b"\xff\xfeshion-mnist-fsvae.pth", 1)
open(sys.argv[2], "wb").write(b)
EOF_PY
# check_profile NAME JSON HTML KEY EXPECTED: both files are UTF-8, the JSON
# parses and its KEY ("model.file", ...) equals EXPECTED.
check_profile() {
  python3 - "$@" << 'EOF_PY'
import json, sys
name, jpath, hpath, key, want = sys.argv[1:]
try:
    p = json.loads(open(jpath, "rb").read().decode("utf-8"))
    html = open(hpath, "rb").read().decode("utf-8")
except Exception as e:
    sys.exit(f"FAIL: {name}: {e}")
v = p
for k in key.split("."):
    v = v[k]
if v != want:
    sys.exit(f"FAIL: {name}: {key} is {v!r}, expected {want!r}")
if want.replace("<", "&lt;").replace("&", "&amp;") not in html and want not in html:
    sys.exit(f"FAIL: {name}: the report lacks {want!r}")
EOF_PY
}
if "$FSVAE" profile --model "$tmp/u/m$ff.fsvae" --count 1 --json "$tmp/u/p1.json" --report "$tmp/u/p1.html" \
    > /dev/null 2> "$tmp/err"; then
  check_profile "model path" "$tmp/u/p1.json" "$tmp/u/p1.html" model.file "$tmp/u/m\\xff.fsvae" && ok || bad "model path"
else bad "profile with a non-UTF-8 model path: exit $? ($(cat "$tmp/err"))"; fi
if "$FSVAE" profile --model "$MODEL" --mode reconstruct --input "$tmp/u/in$ff.npy" --json "$tmp/u/p2.json" \
    --report "$tmp/u/p2.html" > /dev/null 2> "$tmp/err"; then
  check_profile "input path" "$tmp/u/p2.json" "$tmp/u/p2.html" run.input "$tmp/u/in\\xff.npy" && ok || bad "input path"
else bad "profile with a non-UTF-8 input path: exit $? ($(cat "$tmp/err"))"; fi
if "$FSVAE" profile --model "$tmp/u/strings.fsvae" --count 1 --json "$tmp/u/p3.json" --report "$tmp/u/p3.html" \
    > /dev/null 2> "$tmp/err"; then
  check_profile "dataset" "$tmp/u/p3.json" "$tmp/u/p3.html" model.dataset 'fashion-mn\xc3(t' && ok || bad "dataset"
  check_profile "source" "$tmp/u/p3.json" "$tmp/u/p3.html" model.source \
    '\xff\xfeshion-mnist-fsvae.pth via fsvae_export.py' && ok || bad "source"
else bad "profile of a model with non-UTF-8 strings: exit $? ($(cat "$tmp/err"))"; fi
# Valid UTF-8 is kept as it is.
e_acute=$(printf '\303\251')
mv "$tmp/u/m$ff.fsvae" "$tmp/u/m$e_acute.fsvae"
if "$FSVAE" profile --model "$tmp/u/m$e_acute.fsvae" --count 1 --json "$tmp/u/p4.json" --report "$tmp/u/p4.html" \
    > /dev/null 2> "$tmp/err"; then
  check_profile "UTF-8 path" "$tmp/u/p4.json" "$tmp/u/p4.html" model.file "$tmp/u/m$e_acute.fsvae" && ok \
    || bad "UTF-8 path"
else bad "profile with a UTF-8 model path: exit $? ($(cat "$tmp/err"))"; fi
rm -rf "$tmp/u"

# ---- a command's outputs are committed together ------------------------------
# The report cannot be written: no JSON either, and an existing one unchanged.
expect "report in a missing directory" "fsvae: $tmp/no/r.html: cannot write output: No such file or directory" \
  "$FSVAE" profile --model "$MODEL" --count 1 --json "$tmp/p.json" --report "$tmp/no/r.html"
[ ! -e "$tmp/p.json" ] && ok || bad "report in a missing directory: the JSON was written"
printf 'keep me' > "$tmp/p.json"
expect "report in a missing directory, JSON there" \
  "fsvae: $tmp/no/r.html: cannot write output: No such file or directory" \
  "$FSVAE" profile --model "$MODEL" --count 1 --json "$tmp/p.json" --report "$tmp/no/r.html"
[ "$(cat "$tmp/p.json")" = "keep me" ] && ok || bad "report in a missing directory: the JSON was replaced"
# The report's rename fails (a directory is in the way) after the JSON's
# succeeded: the JSON is put back.
mkdir "$tmp/r.html"
expect "report onto a directory" "fsvae: $tmp/r.html: cannot write output: Is a directory" \
  "$FSVAE" profile --model "$MODEL" --count 1 --json "$tmp/p.json" --report "$tmp/r.html"
[ "$(cat "$tmp/p.json")" = "keep me" ] && ok || bad "report onto a directory: the JSON was replaced"
rm "$tmp/p.json"
expect "report onto a directory, no JSON before" "fsvae: $tmp/r.html: cannot write output: Is a directory" \
  "$FSVAE" profile --model "$MODEL" --count 1 --json "$tmp/p.json" --report "$tmp/r.html"
[ ! -e "$tmp/p.json" ] && ok || bad "report onto a directory: the JSON was left"
rmdir "$tmp/r.html"

[ ! -e "$tmp/o.npy" ] && ok || bad "an error left an output file"
ls -A "$tmp" | grep -q '\.tmp-' && bad "temporary file left behind" || ok

echo "cli bad inputs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
