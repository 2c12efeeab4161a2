#!/usr/bin/env bash
# Measures moving a field laptop's records to a clinic: a vault with 10,000 visits (100
# patients with 100 visits each, a narrative of two revisions each) and 500 photos (10 for
# each of 50 patients) is written as a transfer bundle (`tessera transfer export`) and
# imported into a freshly paired clinic vault (`tessera transfer import`). Beside it, in
# the same run and on the same data, the backup path: a full backup to an age key
# (`tessera backup create --full`) and its restore into a new folder (`backup restore`).
# Each figure is the median of BENCH_RUNS runs (default 3) with its peak memory from GNU
# time; a measurement, not a test, so it exits 0 unless a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${BENCH_RUNS:-3}"
PHOTOS=500

export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
echo "bench: building tessera and the photo maker (release)" >&2
cargo build --release --locked -p tessera-cli -p tessera-media --bin tessera --example make_photos
release="$CARGO_TARGET_DIR/release"
tessera="$release/tessera"

fixtures="$CARGO_TARGET_DIR/bench-transfer/photos-v1"
if [ ! -f "$fixtures/.complete" ]; then
  echo "bench: making $PHOTOS photos in $fixtures (once)" >&2
  rm -rf "$fixtures"
  mkdir -p "$fixtures"
  "$release/examples/make_photos" "$fixtures" --count "$PHOTOS" --size 1600x1200 --quality 85
  touch "$fixtures/.complete"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench-transfer.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TESSERA_USER=ana TESSERA_PASSWORD=bench-password-1
on() { # vault command...
  local vault="$1"
  shift
  TESSERA_VAULT="$vault" "$tessera" "$@"
}
new_vault() {
  on "$1" init --admin ana --argon2-memory-mib 19 --argon2-passes 2 >/dev/null 2>&1
}

field="$work/field"
echo "bench: filling the field vault (10,000 visits, $PHOTOS photos)" >&2
new_vault "$field"
on "$field" dev seed --patients 100 --encounters-per-patient 100 --narratives-per-patient 1 \
  --revisions-per-narrative 2 >/dev/null 2>&1
mapfile -t patients < <(on "$field" --json patient list --limit 500 |
  python3 -c 'import json,sys; [print(p["id"]) for p in json.load(sys.stdin)]')
photos=("$fixtures"/*.jpg)
for i in $(seq 0 49); do
  on "$field" photo import "${patients[$i]}" "${photos[@]:$((i * 10)):10}" >/dev/null 2>&1
done
on "$field" transfer identity --out "$work/field.id" >/dev/null 2>&1

# A clinic vault paired with the field, both ways.
new_clinic() {
  rm -rf "$1"
  new_vault "$1"
  on "$1" transfer identity --out "$1.id" >/dev/null 2>&1
  on "$1" transfer pair "$work/field.id" --name Field >/dev/null 2>&1
  on "$field" transfer pair "$1.id" --name "Clinic" >/dev/null 2>&1 || true
}

# Runs "$@" after `prepare` RUNS times; prints the median seconds and the largest peak MB.
measure() {
  local prepare="$1"
  shift
  local times=() peak=0
  for _ in $(seq 1 "$RUNS"); do
    $prepare
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
      cat "$work/stderr" >&2
      return 1
    }
    read -r seconds kb <"$work/time"
    times+=("$seconds")
    [ "$kb" -gt "$peak" ] && peak=$kb
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$median $((peak / 1024))"
}

clinic="$work/clinic"
new_clinic "$clinic"
fresh_stick() { rm -rf "$work/stick"; mkdir -p "$work/stick"; }
read -r export_s export_mb < <(measure fresh_stick env TESSERA_VAULT="$field" "$tessera" transfer export --to Clinic --out "$work/stick")
bundle=$(ls "$work"/stick/*.tbundle)
bundle_bytes=$(wc -c <"$bundle")
cp "$bundle" "$work/bundle.tbundle"
# A clinic vault is paired once (its identity is what the bundle is encrypted to), then
# copied before each import, so every run imports into the same empty, paired clinic.
on "$clinic" vault info >/dev/null 2>&1
cp -a "$clinic" "$work/clinic-empty"
restore_clinic() { rm -rf "$clinic"; cp -a "$work/clinic-empty" "$clinic"; }
read -r import_s import_mb < <(measure restore_clinic env TESSERA_VAULT="$clinic" "$tessera" transfer import "$work/bundle.tbundle" --receipt-out "$work/receipt")

age-keygen -o "$work/backup.key" 2>"$work/backup.pub"
recipient=$(sed 's/Public key: //' "$work/backup.pub")
fresh_backups() { rm -rf "$work/backups"; mkdir -p "$work/backups"; }
read -r backup_s backup_mb < <(measure fresh_backups env TESSERA_VAULT="$field" "$tessera" backup create --full --dest "$work/backups" --recipient "$recipient")
backup_file=$(ls "$work"/backups/*)
backup_bytes=$(wc -c <"$backup_file")
fresh_restore() { rm -rf "$work/restored"; }
read -r restore_s restore_mb < <(measure fresh_restore env TESSERA_VAULT="$work/restored" "$tessera" backup restore "$backup_file" --to "$work/restored" --identity "$work/backup.key")

printf '%-26s %7s s  peak %5s MB  %s bytes\n' "transfer export (bundle)" "$export_s" "$export_mb" "$bundle_bytes"
printf '%-26s %7s s  peak %5s MB\n' "transfer import" "$import_s" "$import_mb"
printf '%-26s %7s s  peak %5s MB  %s bytes\n' "backup create --full" "$backup_s" "$backup_mb" "$backup_bytes"
printf '%-26s %7s s  peak %5s MB\n' "backup restore" "$restore_s" "$restore_mb"
awk -v e="$export_s" -v i="$import_s" -v b="$backup_s" -v r="$restore_s" 'BEGIN {
  printf "bundle + import: %.2f s; backup + restore: %.2f s; ratio %.2f\n", e + i, b + r, (e + i) / (b + r)
}'
