# Sourced by the benchmarks that need a large vault (bench-backup.sh, bench-rekey.sh):
# builds tessera (release) and, once, a vault of BENCH_PATIENTS patients (default 100,000)
# with about BENCH_PHOTO_GB GB of photos (default 2), kept under the target directory (a
# few minutes the first time). Sets: tessera, release, bench_dir, vault, PATIENTS, and the
# TESSERA_* variables that sign its admin in.
PATIENTS="${BENCH_PATIENTS:-100000}"
PHOTO_GB="${BENCH_PHOTO_GB:-2}"

export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
echo "bench: building tessera and the photo generator (release)" >&2
cargo build --release --locked -p tessera-cli -p tessera-media --bin tessera --example make_photos
release="$CARGO_TARGET_DIR/release"
tessera="$release/tessera"

bench_dir="$CARGO_TARGET_DIR/bench-backup"
vault="$bench_dir/vault-${PATIENTS}p-${PHOTO_GB}g"
export TESSERA_VAULT="$vault" TESSERA_USER=admin TESSERA_PASSWORD="bench admin password"
mkdir -p "$bench_dir"

if [ ! -f "$vault/.complete" ]; then
  rm -rf "$vault" "$bench_dir/photos"
  echo "bench: building the vault: $PATIENTS patients, ~$PHOTO_GB GB of photos" >&2
  "$tessera" init --admin admin >/dev/null
  "$tessera" dev seed --patients "$PATIENTS" --encounters-per-patient 2 \
    --narratives-per-patient 1 --revisions-per-narrative 1 >/dev/null
  # 4000x3000 JPEGs at quality 90 are about 3.5 MB each.
  count=$(( PHOTO_GB * 1024 / 3 ))
  "$release/examples/make_photos" "$bench_dir/photos" --count "$count" --size 4000x3000 --quality 90
  patient=$("$tessera" patient list --limit 1 --json | sed -n 's/.*"human_id": "\([^"]*\)".*/\1/p' | head -1)
  "$tessera" photo import "$patient" "$bench_dir"/photos/*.jpg >/dev/null
  rm -rf "$bench_dir/photos"
  touch "$vault/.complete"
fi
