#!/usr/bin/env bash
# Files the fsvae command line may not read or write, met as an unprivileged
# user: root reads and writes anything, so run as root (as CI does) the
# commands drop to nobody (setpriv or runuser); run as another user they run
# as that user. Where neither gives a user the permissions stop, the test
# prints SKIPPED and exits 77, which ctest reports as skipped, not passed.
# Usage: test_permissions.sh FSVAE MODEL PROBE PROBE_DIR
#   PROBE: the fsvae command line built with its bundled-model paths at
#   PROBE_DIR/source/fashion-mnist.fsvae, then PROBE_DIR/installed/...
set -u
FSVAE=$1
MODEL=$2
PROBE=$3
PROBE_DIR=$4
skip() { echo "SKIPPED: $*"; exit 77; }

if [ "$(id -u)" -eq 0 ]; then
  nobody_uid=$(getent passwd nobody | cut -d: -f3)
  nobody_gid=$(getent passwd nobody | cut -d: -f4)
  [ -n "$nobody_uid" ] || skip "running as root and there is no user nobody to drop to"
  if command -v setpriv > /dev/null; then
    unprivileged() { setpriv --reuid="$nobody_uid" --regid="$nobody_gid" --clear-groups -- "$@"; }
  elif command -v runuser > /dev/null; then
    unprivileged() { runuser -u nobody -- "$@"; }
  else
    skip "running as root with neither setpriv nor runuser to drop privileges"
  fi
else
  unprivileged() { "$@"; }
fi

tmp=$(mktemp -d)
trap 'chmod -R u+rwx "$tmp" "$PROBE_DIR" 2> /dev/null; rm -rf "$tmp" "$PROBE_DIR"' EXIT
chmod 755 "$tmp"  # mktemp makes it 0700: the unprivileged user must get in
unprivileged test -x "$FSVAE" || skip "$(id -un) cannot drop to a user that may run $FSVAE"
unprivileged test -r "$MODEL" || skip "the unprivileged user cannot read $MODEL"
printf 'x' > "$tmp/probe"
chmod 000 "$tmp/probe"
unprivileged cat "$tmp/probe" > /dev/null 2>&1 && skip "the unprivileged user reads a mode-000 file (capabilities?)"

pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect NAME EXACT_STDERR CMD...: run unprivileged, exit 1 and exactly this line.
expect() {
  local name=$1 want=$2; shift 2
  unprivileged "$@" > /dev/null 2> "$tmp/err"
  local rc=$? got
  got=$(cat "$tmp/err")
  if [ "$rc" -ne 1 ]; then bad "$name: exit $rc (stderr: $got)"; return; fi
  if [ "$got" != "$want" ]; then bad "$name: stderr '$got', expected '$want'"; return; fi
  ok
}

# Unreadable model and input files.
cp "$MODEL" "$tmp/locked.fsvae"
chmod 000 "$tmp/locked.fsvae"
expect "unreadable model" "fsvae: $tmp/locked.fsvae: cannot open model file" \
  "$FSVAE" info --model "$tmp/locked.fsvae"
"$FSVAE" generate --model "$MODEL" --count 1 --output "$tmp/locked.png" > /dev/null
chmod 000 "$tmp/locked.png"
expect "unreadable input" "fsvae: $tmp/locked.png: cannot open: Permission denied" \
  "$FSVAE" reconstruct --model "$MODEL" --input "$tmp/locked.png" --output "$tmp/o.npy"

# An output folder the user may not write: nothing appears there, an existing
# file stays as it was.
mkdir "$tmp/ro"
printf 'keep me' > "$tmp/ro/kept.npy"
chmod 555 "$tmp/ro"
expect "unwritable output folder" "fsvae: $tmp/ro/o.npy: cannot write output: Permission denied" \
  "$FSVAE" generate --model "$MODEL" --count 1 --output "$tmp/ro/o.npy"
expect "unwritable output folder, existing file" \
  "fsvae: $tmp/ro/kept.npy: cannot write output: Permission denied" \
  "$FSVAE" generate --model "$MODEL" --count 1 --output "$tmp/ro/kept.npy"
mkdir "$tmp/w"
chmod 777 "$tmp/w"  # writable by the unprivileged user, for the JSON
expect "unwritable report folder" "fsvae: $tmp/ro/r.html: cannot write output: Permission denied" \
  "$FSVAE" profile --model "$MODEL" --count 1 --json "$tmp/w/p.json" --report "$tmp/ro/r.html"
[ "$(ls -A "$tmp/ro")" = "kept.npy" ] && [ "$(cat "$tmp/ro/kept.npy")" = "keep me" ] && ok \
  || bad "unwritable folder: holds $(ls -A "$tmp/ro")"
[ -z "$(ls -A "$tmp/w")" ] && ok || bad "unwritable report folder: left $(ls -A "$tmp/w") beside the JSON's path"

# The bundled model's first place (the source tree) cannot be searched by
# this user, as when an installed binary built elsewhere runs for another
# user: the installed copy is used instead; with none usable, one clear line.
if unprivileged test -x "$(dirname "$PROBE_DIR")"; then
  rm -rf "$PROBE_DIR"
  mkdir -p "$PROBE_DIR/source" "$PROBE_DIR/installed"
  chmod 755 "$PROBE_DIR" "$PROBE_DIR/installed"
  ln -s "$MODEL" "$PROBE_DIR/source/fashion-mnist.fsvae"
  ln -s "$MODEL" "$PROBE_DIR/installed/fashion-mnist.fsvae"
  chmod 700 "$PROBE_DIR/source"
  src=$PROBE_DIR/source/fashion-mnist.fsvae inst=$PROBE_DIR/installed/fashion-mnist.fsvae
  if unprivileged "$PROBE" info > "$tmp/out" 2> "$tmp/err"; then
    grep -qxF "model        $inst" "$tmp/out" && ok || bad "default model: not the installed one: $(head -1 "$tmp/out")"
  else
    bad "default model behind an unsearchable folder: exit $? ($(cat "$tmp/err"))"
  fi
  rm "$PROBE_DIR/installed/fashion-mnist.fsvae"
  expect "no usable default model" \
    "fsvae: no usable bundled model ($src: Permission denied; $inst: No such file or directory); pass --model FILE" \
    "$PROBE" info
  printf 'x' > "$inst"
  chmod 000 "$inst"
  expect "unreadable default model" \
    "fsvae: no usable bundled model ($src: Permission denied; $inst: Permission denied); pass --model FILE" \
    "$PROBE" generate --count 1 --output "$tmp/o.npy"
else
  bad "the unprivileged user cannot reach $(dirname "$PROBE_DIR") for the bundled-model cases"
fi

[ ! -e "$tmp/o.npy" ] && ok || bad "an error left an output file"
find "$tmp" -name '.*.tmp-*' | grep -q . && bad "temporary file left behind" || ok

echo "cli permissions ($(unprivileged id -un)): $pass passed, $fail failed"
[ "$fail" -eq 0 ]
