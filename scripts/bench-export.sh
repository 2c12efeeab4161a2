#!/usr/bin/env bash
# Measures exports of one large record: a patient with 1,000 visits (with vital signs), 300
# narratives (two revisions each) and 200 photos, exported by `tessera export` as a full
# PDF, JSON and CSV. Each run's wall time and peak memory (maximum resident set) come from
# GNU time. Targets: full PDF <= 2 s, JSON <= 0.3 s, CSV <= 0.3 s, peak memory <= 300 MB.
#
# Every `tessera` command signs in, so the same run also times `tessera export list` (sign
# in, one query, nothing written) as the floor that is not the export's own work; the
# vault's Argon2 is set low so that floor stays small. A measurement, not a test: it prints
# "target met" or "target missed" and exits 0 either way (non-zero only when a step itself
# fails). BENCH_RUNS sets the timed runs per format (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${BENCH_RUNS:-5}"
PHOTOS=200

export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
echo "bench: building tessera and the photo maker (release)" >&2
cargo build --release --locked -p tessera-cli -p tessera-media --bin tessera --example make_photos
release="$CARGO_TARGET_DIR/release"
tessera="$release/tessera"

bench_dir="$CARGO_TARGET_DIR/bench-export"
fixtures="$bench_dir/photos-v1"
if [ ! -f "$fixtures/.complete" ]; then
  echo "bench: making $PHOTOS photos in $fixtures (once)" >&2
  rm -rf "$fixtures"
  mkdir -p "$fixtures"
  "$release/examples/make_photos" "$fixtures" --count "$PHOTOS" --size 1600x1200 --quality 85
  touch "$fixtures/.complete"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench-export.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TESSERA_VAULT="$work/vault" TESSERA_USER=ana TESSERA_PASSWORD=bench-password-1
echo "bench: filling a vault (1 patient, 1000 visits, 300 narratives, $PHOTOS photos)" >&2
"$tessera" init --admin ana --argon2-memory-mib 19 --argon2-passes 2 >/dev/null 2>&1
"$tessera" dev seed --patients 1 --encounters-per-patient 1000 --narratives-per-patient 300 \
  --revisions-per-narrative 2 >/dev/null 2>&1
patient=$("$tessera" --json patient list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["human_id"])')
"$tessera" photo import "$patient" "$fixtures"/*.jpg >/dev/null 2>&1

# Runs "$@" RUNS times after one warm-up; prints the median seconds and the largest peak
# memory in MB.
measure() {
  local out="$1"
  shift
  local times=() peak=0
  for i in $(seq 0 "$RUNS"); do
    rm -f "$out"
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
      cat "$work/stderr" >&2
      return 1
    }
    read -r seconds kb <"$work/time"
    [ "$i" -eq 0 ] && continue
    times+=("$seconds")
    [ "$kb" -gt "$peak" ] && peak=$kb
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$median $((peak / 1024))"
}

verdict() { # name seconds limit_seconds mb
  local ok
  ok=$(awk -v s="$2" -v l="$3" -v m="$4" 'BEGIN { print (s <= l && m <= 300) ? "target met" : "target missed" }')
  printf '%-6s %6.2f s (target <= %s s)  peak %4d MB (target <= 300 MB)  %s\n' "$1" "$2" "$3" "$4" "$ok"
}

read -r floor floor_mb < <(measure "$work/none" "$tessera" export list)
echo "sign-in floor (export list): ${floor} s, ${floor_mb} MB"
for spec in "pdf 2" "json 0.3" "csv 0.3"; do
  read -r format limit <<<"$spec"
  out="$work/record.$format"
  read -r seconds mb < <(measure "$out" "$tessera" export "$patient" --kind full --format "$format" --out "$out")
  verdict "$format" "$seconds" "$limit" "$mb"
  echo "       $(wc -c <"$out") bytes; without the sign-in floor: $(awk -v s="$seconds" -v f="$floor" 'BEGIN { printf "%.2f", s - f }') s"
done
pages=$(pdfinfo "$work/record.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
echo "the PDF has ${pages:-?} pages"
