#!/usr/bin/env bash
# Remakes the committed seed corpus of the `import` fuzz target, fuzz/corpus/import/seed-*:
# tiny JPEG, PNG and WebP images (a few hundred bytes) carrying the metadata the stripper
# must handle (EXIF with an orientation, GPS and camera, XMP, a comment), plus a progressive
# JPEG. Small seeds keep libFuzzer fast; the metadata gives it structures to mutate.
# Needs exiftool (libimage-exiftool-perl) and vips (libvips-tools). Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"

out=fuzz/corpus/import
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cargo run --quiet --release --locked -p tessera-media --example make_photos -- \
  "$tmp" --count 1 --size 16x12 --quality 50 --formats jpg,png,webp

# XMP without its usual 2 kB of padding (Compact). The same tags everywhere; a different orientation per format so each path keeps one.
tags=(-Make=SeedCam -Model="Seed 1" "-DateTimeOriginal=2025:03:14 09:26:53"
  -OffsetTimeOriginal=+01:00 -GPSLatitude=38.7223 -GPSLatitudeRef=N
  -GPSLongitude=9.1393 -GPSLongitudeRef=W -XMP-dc:Title=seed)
exiftool -q -overwrite_original -api Compact=all "${tags[@]}" -Orientation#=6 -Comment=seed "$tmp/photo-01.jpg"
exiftool -q -overwrite_original -api Compact=all "${tags[@]}" -Orientation#=3 "$tmp/photo-01.png"
exiftool -q -overwrite_original -api Compact=all "${tags[@]}" -Orientation#=8 "$tmp/photo-01.webp"
# Progressive (several scans with tables between them) and without metadata.
vips jpegsave "$tmp/photo-01.png" "$tmp/progressive.jpg" --Q 50 --interlace --strip

mkdir -p "$out"
cp "$tmp/photo-01.jpg" "$out/seed-exif.jpg"
cp "$tmp/photo-01.png" "$out/seed-exif.png"
cp "$tmp/photo-01.webp" "$out/seed-exif.webp"
cp "$tmp/progressive.jpg" "$out/seed-progressive.jpg"
ls -l "$out"/seed-*
