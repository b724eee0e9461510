#!/usr/bin/env bash
# fsvae info, generate, reconstruct and profile on the ESVAE and TAID test
# models (built by the ctest fixture variants.models).
# Usage: test_variants_cli.sh FSVAE VARIANT_DIR IMAGES
set -u
FSVAE=$1 DIR=$2 IMAGES=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { :; }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }

"$FSVAE" info --model "$DIR/esvae.fsvae" > "$tmp/esvae.info" || bad "info esvae"
grep -q "^kinds        sampler esvae_rate, readout membrane_decay$" "$tmp/esvae.info" || bad "info esvae kinds"
grep -q "sample_layer.0" "$tmp/esvae.info" || bad "info esvae layers"
"$FSVAE" info --model "$DIR/taid.fsvae" > "$tmp/taid.info" || bad "info taid"
grep -q "^kinds        sampler fsvae_autoregressive, readout taid$" "$tmp/taid.info" || bad "info taid kinds"
"$FSVAE" info > "$tmp/fsvae.info" || bad "info bundled"
grep -q "^kinds        sampler fsvae_autoregressive, readout membrane_decay$" "$tmp/fsvae.info" || bad "info bundled kinds"

for m in esvae taid; do
  "$FSVAE" generate --model "$DIR/$m.fsvae" --count 3 --seed 5 --output "$tmp/$m-g.npy" > /dev/null || bad "generate $m"
  "$FSVAE" generate --model "$DIR/$m.fsvae" --count 3 --seed 5 --threads 1 --output "$tmp/$m-g1.npy" > /dev/null || bad "generate $m 1 thread"
  cmp -s "$tmp/$m-g.npy" "$tmp/$m-g1.npy" || bad "generate $m: thread count changed the images"
  "$FSVAE" reconstruct --model "$DIR/$m.fsvae" --input "$IMAGES" --count 2 --output "$tmp/$m-r.npy" > /dev/null \
    || bad "reconstruct $m"
  "$FSVAE" profile --model "$DIR/$m.fsvae" --count 2 --json "$tmp/$m.json" > "$tmp/$m.profile" || bad "profile $m"
  "$FSVAE" profile --model "$DIR/$m.fsvae" --mode reconstruct --input "$IMAGES" --count 2 --json "$tmp/$m-r.json" \
    > /dev/null || bad "profile $m --mode reconstruct"
done
# ESVAE's sample layer is counted: C x C = 1024 multiply-accumulates per image.
grep -qE "^sample_layer.0 +- +1024 +1024 " "$tmp/esvae.profile" || bad "profile esvae: sample_layer.0 MACs"

if [ "$fails" -ne 0 ]; then echo "$fails failure(s)"; exit 1; fi
echo "all variant CLI checks passed"
