#!/usr/bin/env bash
# Remakes the committed seed corpora, fuzz/corpus/TARGET/seed-*, of the targets named (default:
# import header backup). Small seeds keep libFuzzer fast (the backup's is as small as a real
# backup gets, some 250 kB, nearly all of it the database snapshot); their structure gives it
# something to mutate.
#   import  tiny JPEG, PNG, WebP and HEIC images (a few hundred bytes) carrying the metadata
#           the stripper must handle (EXIF with an orientation, GPS and camera, XMP, a
#           comment), plus a progressive JPEG. Needs exiftool (libimage-exiftool-perl), vips
#           (libvips-tools) and heif-enc (libheif-examples).
#   header  header.json of a throwaway vault made with the CLI: as created, and lived in (a
#           second account, a failed sign-in queued, the audit anchor).
#   backup  the plain tar inside a full backup of that vault (with one photo), decrypted with
#           age; and that vault's recovery key, fuzz_targets/backup.recovery-key, which the
#           target verifies with (so the two must be remade together, as here; the target
#           refuses to run when its seed no longer verifies). Needs age.
# Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(import header backup)
for target in "${targets[@]}"; do
  case "$target" in
    import | header | backup) ;;
    *)
      echo "usage: fuzz/make-seeds.sh [import|header|backup]..." >&2
      exit 2
      ;;
  esac
done
wants() { [[ " ${targets[*]} " == *" $1 "* ]]; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

seeds_import() {
  local out=fuzz/corpus/import
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
  # HEIC: EXIF and XMP are items of the file's meta box, their bytes in mdat.
  heif-enc -q 30 "$tmp/progressive.jpg" -o "$tmp/photo-01.heic"
  exiftool -q -overwrite_original -api Compact=all "${tags[@]}" "$tmp/photo-01.heic"

  mkdir -p "$out"
  cp "$tmp/photo-01.jpg" "$out/seed-exif.jpg"
  cp "$tmp/photo-01.png" "$out/seed-exif.png"
  cp "$tmp/photo-01.webp" "$out/seed-exif.webp"
  cp "$tmp/progressive.jpg" "$out/seed-progressive.jpg"
  cp "$tmp/photo-01.heic" "$out/seed-exif.heic"
  ls -l "$out"/seed-*
}

# A throwaway vault, made and used with the CLI as a clinic would, at the lowest Argon2 cost
# (the seeds protect nothing, and each command then unlocks in a moment). It is deleted with
# $tmp; only its recovery key is kept, for the backup target.
seeds_vault() {
  cargo build --quiet --locked -p tessera-cli
  tessera="$CARGO_TARGET_DIR/debug/tessera"
  export TESSERA_VAULT="$tmp/vault" TESSERA_USER=ana TESSERA_PASSWORD="seed admin passphrase"
  unset TESSERA_RECOVERY_KEY TESSERA_BACKUP_PASSPHRASE
  # Without --json, init prints the recovery key alone on stdout.
  recovery=$("$tessera" init --admin ana --argon2-memory-mib 19 --argon2-passes 2)
  cp "$TESSERA_VAULT/header.json" "$tmp/header-new.json"

  local patient
  patient=$("$tessera" patient add --given Seed --family Patient)
  # A photo: two sealed blobs (the stripped original and its thumbnail) in media/.
  "$tessera" photo import "$patient" fuzz/corpus/import/seed-progressive.jpg >/dev/null
  TESSERA_NEW_PASSWORD="seed clinician passphrase" \
    "$tessera" user add bea --role clinician >/dev/null
  # A wrong password: counted on bea's slot and queued in the header for the next unlock.
  if TESSERA_PASSWORD="not the passphrase" "$tessera" --user bea vault info >/dev/null 2>&1; then
    echo "make-seeds: a wrong password opened the seed vault" >&2
    exit 1
  fi
  cp "$TESSERA_VAULT/header.json" "$tmp/header-lived-in.json"
}

seeds_header() {
  local out=fuzz/corpus/header
  mkdir -p "$out"
  cp "$tmp/header-new.json" "$out/seed-new.json"
  cp "$tmp/header-lived-in.json" "$out/seed-lived-in.json"
  ls -l "$out"/seed-*
}

seeds_backup() {
  local out=fuzz/corpus/backup recipient
  age-keygen -o "$tmp/age-key.txt" 2>"$tmp/age-keygen.txt"
  recipient=$(sed -n 's/^Public key: //p' "$tmp/age-keygen.txt")
  mkdir -p "$tmp/backups" "$out"
  "$tessera" backup create --full --recipient "$recipient" --dest "$tmp/backups" >/dev/null
  age -d -i "$tmp/age-key.txt" -o "$out/seed-full.tar" "$tmp/backups"/*.age
  printf '%s\n' "$recovery" >fuzz/fuzz_targets/backup.recovery-key
  ls -l "$out"/seed-* fuzz/fuzz_targets/backup.recovery-key
}

# The import seeds first: the vault's photo is one of them.
if wants import; then seeds_import; fi
if wants header || wants backup; then seeds_vault; fi
if wants header; then seeds_header; fi
if wants backup; then seeds_backup; fi
