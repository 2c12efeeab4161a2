#!/usr/bin/env bash
# Measures backup and restore throughput on a large vault, beside the standard pipeline on
# the same directory in the same run:
#
#   ours:      tessera backup create --full --recipient KEY      (snapshot + integrity check +
#              audit chain check + tar + age + read-back check)
#              tessera backup restore FILE --to DIR --identity K  (every member hashed, every
#              photo file authenticated, integrity and chain checked, synced, swapped in)
#   reference: tar -cf - VAULT | zstd | age -r KEY > FILE
#              age -d -i K FILE | zstd -d | tar -xf - -C DIR
#
# Target: ours >= 0.8 x the reference's throughput, both ways. The vault: 100,000 patients
# (BENCH_PATIENTS) and about 2 GB of photos (BENCH_PHOTO_GB), built once by bench-vault.sh.
# A measurement, not a test: it prints the figures and "target met" or "missed", and exits
# 0 either way. BENCH_RUNS (default 3)
# timed runs of each, after the vault is warm in the page cache for both sides alike.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${BENCH_RUNS:-3}"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
missing=()
for tool in age zstd tar; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

. scripts/bench-vault.sh
vault_bytes=$(du -sb --exclude=.complete "$vault" | cut -f1)

work=$(mktemp -d "$bench_dir/run.XXXXXX")
trap 'rm -rf "$work"' EXIT
age-keygen -o "$work/key.txt" 2>"$work/keygen.txt"
recipient=$(sed -n 's/^Public key: //p' "$work/keygen.txt")

# Wall-clock seconds of a command (with 3 decimals). Dirty pages of the previous command are
# flushed first (not timed), so neither side pays for the other's writes.
seconds() {
  local start end
  sync
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ours_backup() {
  rm -rf "$work/ours" && mkdir "$work/ours"
  "$tessera" backup create --full --recipient "$recipient" --dest "$work/ours"
}
ref_backup() {
  tar -cf - -C "$vault" . | zstd -q | age -r "$recipient" > "$work/ref.tar.zst.age"
}
ours_restore() {
  rm -rf "$work/restored"
  "$tessera" backup restore "$work"/ours/*.age --to "$work/restored" --identity "$work/key.txt"
}
ref_restore() {
  rm -rf "$work/ref-restored" && mkdir "$work/ref-restored"
  age -d -i "$work/key.txt" "$work/ref.tar.zst.age" | zstd -d -q | tar -xf - -C "$work/ref-restored"
}
# The same with its output made durable, as ours is (a backup or a restored vault that a
# power cut can still lose is not done).
ref_backup_synced() { ref_backup && sync; }
ref_restore_synced() { ref_restore && sync; }

echo "bench: warming the page cache" >&2
ours_backup >/dev/null
ref_backup
all="ours_backup ref_backup ref_backup_synced ours_restore ref_restore ref_restore_synced"
for what in $all; do
  : > "$work/$what.times"
done
for run in $(seq "$RUNS"); do
  echo "bench: run $run of $RUNS" >&2
  for what in $all; do
    seconds "$what" >> "$work/$what.times"
  done
done

ours_file=$(ls "$work"/ours/*.age)
printf '\nvault: %s patients, %s bytes (%s)\n' "$PATIENTS" "$vault_bytes" "$vault"
printf 'backup file: ours %s bytes, tar|zstd|age %s bytes\n' \
  "$(stat -c %s "$ours_file")" "$(stat -c %s "$work/ref.tar.zst.age")"
report() {
  local label=$1 ours=$2 ref=$3
  local t_ours t_ref
  t_ours=$(median < "$work/$ours.times")
  t_ref=$(median < "$work/$ref.times")
  local mbs_ours mbs_ref ratio verdict
  mbs_ours=$(awk -v b="$vault_bytes" -v t="$t_ours" 'BEGIN { printf "%.0f", b / t / 1048576 }')
  mbs_ref=$(awk -v b="$vault_bytes" -v t="$t_ref" 'BEGIN { printf "%.0f", b / t / 1048576 }')
  ratio=$(awk -v o="$t_ours" -v r="$t_ref" 'BEGIN { printf "%.2f", r / o }')
  verdict=$(awk -v x="$ratio" 'BEGIN { print (x >= 0.8 ? "target met" : "target missed") }')
  printf '%-8s ours %7.3f s (%s MB/s)   tar|zstd|age %7.3f s (%s MB/s)   ratio %s x  (target >= 0.8: %s)\n' \
    "$label" "$t_ours" "$mbs_ours" "$t_ref" "$mbs_ref" "$ratio" "$verdict"
}
report backup ours_backup ref_backup
report restore ours_restore ref_restore
echo "with the reference's output synced to the disk as well (equal durability):"
report backup ours_backup ref_backup_synced
report restore ours_restore ref_restore_synced
