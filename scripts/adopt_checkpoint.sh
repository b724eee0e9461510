#!/usr/bin/env bash
# Adopts a new Fashion-MNIST FSVAE checkpoint as the bundled one, with every
# file made from it:
#   models/fashion-mnist-fsvae.pth   the checkpoint (copied)
#   models/README.md                 its sha256 line
#   samples/fashion-mnist.fsvae      tools/fsvae_export.py of it
#   samples/fashion-mnist-int8.fsvae tools/fsvae_export.py --precision int8 of it
#   tests/golden/generate.json       tools/reference/make_golden.py of it
#   tests/golden/reconstruct.json    (the same run)
# Everything is made in a temporary directory first; the checkout changes only
# once all of it succeeded, each file renamed into place. (tests/golden/resize.json
# records Pillow, not the model, and stays.)
# Usage: scripts/adopt_checkpoint.sh [PATH]
#   default PATH: ../shared/models/fashion-mnist-fsvae.pth beside the checkout
set -euo pipefail
PROG=adopt_checkpoint.sh
REPO=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=/usr/bin/python3   # Debian's interpreter, which has python3-torch
NAME=fashion-mnist-fsvae.pth

die() { echo "$PROG: error: $*" >&2; exit 1; }

if [ $# -gt 1 ]; then die "expected at most one argument (the checkpoint), got $#"; fi
SRC=${1:-$REPO/../shared/models/$NAME}
[ -e "$SRC" ] || die "$SRC: no such file"
[ -f "$SRC" ] || die "$SRC: not a regular file"
[ -r "$SRC" ] || die "$SRC: not readable"
[ -s "$SRC" ] || die "$SRC: empty file"
[ -x "$PYTHON" ] || die "$PYTHON: not found (install python3-torch: scripts/setup.sh)"
grep -q '^sha256: `[0-9a-f]\{64\}`$' "$REPO/models/README.md" ||
  die "$REPO/models/README.md: no 'sha256: \`...\`' line to update"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/adopt-checkpoint.XXXXXX")
STAGED=()
cleanup() {
  rm -rf "$TMP"
  for f in "${STAGED[@]+"${STAGED[@]}"}"; do rm -f "$f"; done
}
trap cleanup EXIT

# Exported once as given, so that the exporter's messages (one line per
# problem, naming the file) name $SRC; the exporter and the golden files record
# the checkpoint's file name, so the files kept are made from a copy carrying
# the bundled name.
SUMMARY=$("$PYTHON" "$REPO/tools/fsvae_export.py" "$SRC" "$TMP/check.fsvae" --dataset fashion-mnist) ||
  exit 1
cp "$SRC" "$TMP/$NAME"
"$PYTHON" "$REPO/tools/fsvae_export.py" "$TMP/$NAME" "$TMP/fashion-mnist.fsvae" \
  --dataset fashion-mnist > /dev/null || die "$SRC: export failed (see above); nothing changed"
"$PYTHON" "$REPO/tools/fsvae_export.py" "$TMP/$NAME" "$TMP/fashion-mnist-int8.fsvae" \
  --dataset fashion-mnist --precision int8 > /dev/null ||
  die "$SRC: int8 export failed (see above); nothing changed"
[ "$(stat -c %s "$TMP/fashion-mnist-int8.fsvae")" -le 4500000 ] ||
  die "$SRC: the int8 export is over 4.5 MB; nothing changed"
case "$SUMMARY" in
  *": FSVAE T="*"image=1x32x32 "*) ;;
  *) die "$SRC: the bundled model is a one-channel 32x32 FSVAE, this is: ${SUMMARY#*: }" ;;
esac
mkdir "$TMP/golden"
"$PYTHON" "$REPO/tools/reference/make_golden.py" --checkpoint "$TMP/$NAME" --out "$TMP/golden" \
  > /dev/null || die "$SRC: make_golden.py failed (see above); nothing changed"
SHA=$(sha256sum "$TMP/$NAME" | cut -d' ' -f1)
sed "s/^sha256: \`[0-9a-f]\{64\}\`\$/sha256: \`$SHA\`/" "$REPO/models/README.md" > "$TMP/README.md"

# Stage each changed file beside its destination (same file system), then rename.
MADE=("$TMP/$NAME" "$TMP/README.md" "$TMP/fashion-mnist.fsvae" "$TMP/fashion-mnist-int8.fsvae"
      "$TMP/golden/generate.json" "$TMP/golden/reconstruct.json")
DEST=(models/$NAME models/README.md samples/fashion-mnist.fsvae samples/fashion-mnist-int8.fsvae
      tests/golden/generate.json tests/golden/reconstruct.json)
CHANGED=()
for i in "${!MADE[@]}"; do
  dest=$REPO/${DEST[$i]}
  cmp -s "${MADE[$i]}" "$dest" && continue
  stage="$(dirname "$dest")/.$(basename "$dest").adopt"
  STAGED+=("$stage")
  cp "${MADE[$i]}" "$stage" || die "$stage: cannot write; nothing changed"
  chmod 644 "$stage"
  CHANGED+=("$dest")
done
for dest in "${CHANGED[@]+"${CHANGED[@]}"}"; do
  mv "$(dirname "$dest")/.$(basename "$dest").adopt" "$dest"
done
STAGED=()

echo "$PROG: ${SUMMARY#*: }"
echo "$PROG: sha256 $SHA"
if [ ${#CHANGED[@]} -eq 0 ]; then
  echo "$PROG: already adopted, nothing changed"
else
  for dest in "${CHANGED[@]}"; do echo "$PROG: updated ${dest#"$REPO"/}"; done
  echo "$PROG: now update models/README.md's description of the training, run" \
       "bash scripts/test.sh, and re-measure the figures README.md quotes"
fi
