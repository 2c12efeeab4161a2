#!/usr/bin/env bash
# Measures photo import against the standard tools, on 20 twelve-megapixel JPEGs:
#
#   - `tessera photo import` (strip + thumbnail + encrypt + durable write + index), against
#     libvips's `vipsthumbnail` making the same 320-pixel thumbnails.
#     Target: import <= 1.5 x vipsthumbnail.
#   - tessera-media's stripper (the `strip_files` example: read, strip, write), against
#     `exiftool -all=` doing the same to the same files. Target: >= 10 x faster.
#
# A measurement, not a test: it prints "target met" or "target missed" and exits 0 either
# way (non-zero only when a step itself fails). BENCH_RUNS sets the timed runs per command
# (default 5, after one warm-up). Fixtures and results live under the target directory;
# the fixtures are made once and reused.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${BENCH_RUNS:-5}"
COUNT=20
THUMB_EDGE=320
# tessera's thumbnails are JPEG quality 82 (crates/media/src/render.rs); vipsthumbnail is
# asked for the same so neither side saves time by compressing harder.
THUMB_QUALITY=82

# --- Tools -------------------------------------------------------------------------------
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
apt_install() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}
installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for pkg in libvips-tools libimage-exiftool-perl; do
  installed "$pkg" || missing+=("$pkg")
done
installed hyperfine || missing+=(hyperfine)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  # hyperfine is only nicer timing; the script falls back to a shell loop without it.
  apt_install libvips-tools libimage-exiftool-perl
  installed hyperfine || apt_install hyperfine || echo "bench: no hyperfine; timing with a shell loop" >&2
fi

export PATH="$HOME/.cargo/bin:$PATH"
# The target directory shared by every checkout, as in scripts/test.sh.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
echo "bench: building tessera and the media examples (release)" >&2
cargo build --release --locked -p tessera-cli -p tessera-media \
  --bin tessera --example make_photos --example strip_files
release="$CARGO_TARGET_DIR/release"
tessera="$release/tessera"

bench_dir="$CARGO_TARGET_DIR/bench-photos"
work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- Fixtures: 20 different photo-like 4000 x 3000 JPEGs with camera metadata ------------
# Bump the version when make_photos.rs or the tags below change, so stale fixtures are
# not reused.
fixtures="$bench_dir/fixtures-v1"
if [ ! -f "$fixtures/.complete" ]; then
  echo "bench: making $COUNT fixtures in $fixtures (once)" >&2
  rm -rf "$fixtures"
  mkdir -p "$fixtures"
  "$release/examples/make_photos" "$fixtures" --count "$COUNT" --size 4000x3000 --quality 90
  # An sRGB ICC profile to embed, taken from libvips's built-in one (no file to ship).
  vips black "$work/black.v" 8 8
  vips jpegsave "$work/black.v" "$work/icc.jpg" --profile srgb
  exiftool -b -ICC_Profile "$work/icc.jpg" >"$work/srgb.icc"
  # What a phone writes: camera, capture time, GPS position, XMP, and the colour profile.
  for i in $(seq 1 "$COUNT"); do
    n=$(printf '%02d' "$i")
    exiftool -q -overwrite_original \
      -Make=Google -Model="Pixel 8" -Software="HDR+ 1.0.$i" \
      "-DateTimeOriginal=2025:05:$n 10:$n:00" -OffsetTimeOriginal=+01:00 \
      "-GPSLatitude=38.7$n" -GPSLatitudeRef=N "-GPSLongitude=9.1$n" -GPSLongitudeRef=W \
      -XMP-dc:Creator="Bench Photographer" -XMP-dc:Description="Benchmark photo $n" \
      "-ICC_Profile<=$work/srgb.icc" "$fixtures/photo-$n.jpg"
  done
  touch "$fixtures/.complete"
fi
files=("$fixtures"/photo-*.jpg)
if [ ${#files[@]} -ne "$COUNT" ]; then
  echo "bench: expected $COUNT fixtures in $fixtures, found ${#files[@]}" >&2
  exit 1
fi
fixture_bytes=$(cat "${files[@]}" | wc -c)

# --- The commands, each a small script so hyperfine and the fallback loop run the same ---
quoted_files=$(printf '%q ' "${files[@]}")
export TESSERA_VAULT="$work/vault" TESSERA_USER=ana TESSERA_PASSWORD=bench-password-1
mkdir -p "$work/vips" "$work/vips2" "$work/exiftool" "$work/strip" "$work/cp"

# Every import starts from a fresh vault and patient, as a first import would; this set-up
# is outside the timing. Argon2 is set low: unlocking the vault is inside the timing (every
# `tessera` command unlocks) and is not what this measures.
cat >"$work/prepare-import" <<EOF
#!/usr/bin/env bash
set -euo pipefail
rm -rf "$work/vault"
"$tessera" init --admin ana --argon2-memory-mib 19 --argon2-passes 2 >/dev/null 2>>"$work/prepare.log"
"$tessera" patient add --given Bench --family Photos >"$work/patient" 2>>"$work/prepare.log"
EOF
cat >"$work/import" <<EOF
#!/usr/bin/env bash
exec "$tessera" photo import "\$(cat "$work/patient")" $quoted_files
EOF
# One process over all files, the usual way to run it. libvips is itself multithreaded.
cat >"$work/vips-1" <<EOF
#!/usr/bin/env bash
exec vipsthumbnail -s $THUMB_EDGE -o "$work/vips/%s_thumb.jpg[Q=$THUMB_QUALITY]" $quoted_files
EOF
# Two processes of ten files each: tessera imports on both cores, so this is the fairer
# baseline on a two-core machine; reported for information.
cat >"$work/vips-2" <<EOF
#!/usr/bin/env bash
printf '%s\0' $quoted_files |
  xargs -0 -n $((COUNT / 2)) -P 2 vipsthumbnail -s $THUMB_EDGE -o "$work/vips2/%s_thumb.jpg[Q=$THUMB_QUALITY]"
EOF
# exiftool refuses to overwrite, so its output directory is emptied before each run; ours
# is too, so both write new files.
cat >"$work/prepare-exiftool" <<EOF
#!/usr/bin/env bash
rm -rf "$work/exiftool" && mkdir "$work/exiftool"
EOF
cat >"$work/exiftool-strip" <<EOF
#!/usr/bin/env bash
exec exiftool -q -q -all= -o "$work/exiftool/" $quoted_files
EOF
cat >"$work/prepare-strip" <<EOF
#!/usr/bin/env bash
rm -rf "$work/strip" && mkdir "$work/strip"
EOF
cat >"$work/tessera-strip" <<EOF
#!/usr/bin/env bash
exec "$release/examples/strip_files" "$work/strip" $quoted_files
EOF
# Plain copying: the floor under any tool that reads and writes these files, to tell how
# much of the stripping time is the files' input and output rather than the stripping.
cat >"$work/prepare-cp" <<EOF
#!/usr/bin/env bash
rm -rf "$work/cp" && mkdir "$work/cp"
EOF
cat >"$work/copy" <<EOF
#!/usr/bin/env bash
exec cp $quoted_files "$work/cp/"
EOF
chmod +x "$work"/prepare-* "$work"/import "$work"/vips-* "$work"/exiftool-strip \
  "$work"/tessera-strip "$work"/copy

# --- Check once that every command does the whole job, before timing any -----------------
echo "bench: checking each command once" >&2
"$work/prepare-import"
"$work/import" >"$work/imported" 2>"$work/import.log" || {
  cat "$work/import.log" >&2
  exit 1
}
imported=$(grep -c . "$work/imported" || true)
if [ "$imported" -ne "$COUNT" ]; then
  echo "bench: tessera imported $imported of $COUNT photos" >&2
  cat "$work/import.log" >&2
  exit 1
fi
"$work/vips-1"
"$work/vips-2"
"$work/prepare-exiftool" && "$work/exiftool-strip"
"$work/prepare-strip" && "$work/tessera-strip"
"$work/prepare-cp" && "$work/copy"
for dir in vips vips2 exiftool strip cp; do
  made=$(find "$work/$dir" -type f | wc -l)
  if [ "$made" -ne "$COUNT" ]; then
    echo "bench: $dir wrote $made of $COUNT files" >&2
    exit 1
  fi
done
if exiftool -q -q -GPSLatitude -Make -XMP:all -s3 "$work/strip"/* | grep -q .; then
  echo "bench: metadata left after tessera's strip" >&2
  exit 1
fi

# --- Timing --------------------------------------------------------------------------------
results="$bench_dir/results"
mkdir -p "$results"
declare -A median user sys

# measure NAME PREPARE COMMAND: the median wall time in seconds into ${median[NAME]}, and
# the mean user and system CPU times into ${user[NAME]} and ${sys[NAME]} (hyperfine only).
measure() {
  local name=$1 prepare=$2 cmd=$3
  echo "bench: timing $name" >&2
  if command -v hyperfine >/dev/null 2>&1; then
    local prep_args=()
    [ -n "$prepare" ] && prep_args=(--prepare "$prepare")
    hyperfine --style basic --warmup 1 --runs "$RUNS" "${prep_args[@]}" \
      --export-json "$results/$name.json" --export-csv "$results/$name.csv" \
      --command-name "$name" "$cmd" >&2
    # CSV columns: command,mean,stddev,median,user,system,min,max
    median[$name]=$(awk -F, 'NR == 2 { print $4 }' "$results/$name.csv")
    user[$name]=$(awk -F, 'NR == 2 { printf "%.3f", $5 }' "$results/$name.csv")
    sys[$name]=$(awk -F, 'NR == 2 { printf "%.3f", $6 }' "$results/$name.csv")
  else
    # Without hyperfine: one warm-up, then at least 3 timed runs, median of them.
    local runs=$((RUNS < 3 ? 3 : RUNS)) i start end
    [ -n "$prepare" ] && "$prepare"
    "$cmd" >/dev/null 2>&1
    for ((i = 0; i < runs; i++)); do
      [ -n "$prepare" ] && "$prepare"
      start=$(date +%s.%N)
      "$cmd" >/dev/null 2>&1
      end=$(date +%s.%N)
      awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f\n", b - a }'
    done >"$results/$name.times"
    median[$name]=$(sort -g "$results/$name.times" |
      awk '{ t[NR] = $1 } END { print (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }')
    user[$name]=-
    sys[$name]=-
  fi
}

echo "bench: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before timing" >&2
measure import "$work/prepare-import" "$work/import"
measure vipsthumbnail "" "$work/vips-1"
measure vipsthumbnail-2proc "" "$work/vips-2"
measure exiftool "$work/prepare-exiftool" "$work/exiftool-strip"
measure strip "$work/prepare-strip" "$work/tessera-strip"
measure cp "$work/prepare-cp" "$work/copy"

# --- Report -------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v t="$3" -v op="$2" 'BEGIN {
  ok = (op == "<=") ? (r <= t) : (r >= t); print ok ? "target met" : "target missed" }'; }

import_vs_vips=$(ratio "${median[import]}" "${median[vipsthumbnail]}")
import_vs_vips2=$(ratio "${median[import]}" "${median[vipsthumbnail-2proc]}")
exiftool_vs_strip=$(ratio "${median[exiftool]}" "${median[strip]}")

echo
echo "Photo benchmark: $COUNT JPEGs, 4000x3000, $((fixture_bytes / COUNT / 1000)) kB each on average;"
echo "$(nproc) cores; vips $(vips --version | cut -d' ' -f1 | sed 's/^vips-//'), exiftool $(exiftool -ver);"
echo "median of $RUNS runs after a warm-up (${results})."
echo
row() { printf '%-46s %10.3f %8s %8s\n' "$1" "${median[$2]}" "${user[$2]}" "${sys[$2]}"; }
printf '%-46s %10s %8s %8s\n' "command" "median (s)" "user (s)" "sys (s)"
row "tessera photo import (full pipeline)" import
row "vipsthumbnail -s $THUMB_EDGE, 1 process" vipsthumbnail
row "vipsthumbnail -s $THUMB_EDGE, 2 processes (xargs -P2)" vipsthumbnail-2proc
row "exiftool -all= (read, strip, write)" exiftool
row "tessera-media strip (read, strip, write)" strip
row "cp (read, write: the I/O floor)" cp
echo
printf '%-46s %7sx  %-8s %s\n' \
  "import / vipsthumbnail (1 process)" "$import_vs_vips" "<= 1.5" \
  "$(verdict "$import_vs_vips" "<=" 1.5)" \
  "import / vipsthumbnail (2 processes)" "$import_vs_vips2" "" "(for information)" \
  "exiftool / strip" "$exiftool_vs_strip" ">= 10" \
  "$(verdict "$exiftool_vs_strip" ">=" 10)"
