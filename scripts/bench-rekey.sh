#!/usr/bin/env bash
# Measures `tessera vault rekey` on a large vault (100,000 patients and about 2 GB of photos,
# built once by bench-vault.sh), beside a standard tool re-encrypting the same bytes in the
# same run:
#
#   ours:      tessera vault rekey   (the database copied page by page under a new key, every
#              photo opened and sealed again, every slot re-wrapped, all synced, swapped in)
#   reference: tar -cf - VAULT | age -r KEY > FILE && sync
#
# Each run works on a fresh copy of the vault (its photo files hard-linked: a rekey only
# reads them). Prints wall time, peak memory (maximum resident set size) and the ratio of
# the reference's time to ours. A measurement, not a test: exits 0 whatever the figures.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${BENCH_RUNS:-3}"
for tool in age age-keygen; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "bench: installing age" >&2
    if [ "$(id -u)" -eq 0 ]; then apt-get update -qq; else sudo apt-get update -qq; fi
    if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq age; else sudo apt-get install -y -qq age; fi
  fi
done

. scripts/bench-vault.sh
vault_bytes=$(du -sb --exclude=.complete "$vault" | cut -f1)

work=$(mktemp -d "$bench_dir/rekey.XXXXXX")
trap 'rm -rf "$work"' EXIT
age-keygen -o "$work/key.txt" 2>"$work/keygen.txt"
recipient=$(sed -n 's/^Public key: //p' "$work/keygen.txt")

fresh_copy() {
  rm -rf "$work/vault" && mkdir -m 700 "$work/vault"
  cp "$vault/header.json" "$vault/vault.db" "$work/vault/"
  cp -al "$vault/media" "$work/vault/media"
  # The first sign-in of a newer Tessera upgrades the copy: not part of what is measured.
  TESSERA_VAULT="$work/vault" "$tessera" vault info >/dev/null 2>&1
  sync
}

: > "$work/ours.times"
: > "$work/ref.times"
for run in $(seq "$RUNS"); do
  echo "bench: run $run of $RUNS" >&2
  fresh_copy
  TESSERA_VAULT="$work/vault" /usr/bin/time -f "%e %M" -o "$work/time.txt" \
    "$tessera" vault rekey >/dev/null 2>"$work/rekey.err" || { cat "$work/rekey.err" >&2; exit 1; }
  cat "$work/time.txt" >> "$work/ours.times"
  sync
  start=$(date +%s.%N)
  tar -cf - -C "$work/vault" . | age -r "$recipient" > "$work/ref.age"
  sync
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }' >> "$work/ref.times"
  rm -f "$work/ref.age"
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
t_ours=$(cut -d' ' -f1 < "$work/ours.times" | median)
peak_kib=$(cut -d' ' -f2 < "$work/ours.times" | sort -n | tail -1)
t_ref=$(median < "$work/ref.times")
printf '\nvault: %s patients, %s bytes (%s)\n' "$PATIENTS" "$vault_bytes" "$vault"
printf 'rekey: median %s s (%s MB/s), peak memory %s MiB over %s runs\n' "$t_ours" \
  "$(awk -v b="$vault_bytes" -v t="$t_ours" 'BEGIN { printf "%.0f", b / t / 1048576 }')" \
  "$(( peak_kib / 1024 ))" "$RUNS"
printf 'tar|age, synced: median %s s; ratio %s x (reference time / ours)\n' "$t_ref" \
  "$(awk -v o="$t_ours" -v r="$t_ref" 'BEGIN { printf "%.2f", r / o }')"
