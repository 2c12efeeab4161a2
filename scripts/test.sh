#!/usr/bin/env bash
# Sets up the machine and runs Tessera's whole test suite: formatting, lints and type checks,
# the UI's unit tests, every Rust unit, integration and property test, then the end-to-end
# suite on the real app. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
# One target directory outside the clone, shared by every checkout, so CI builds incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
# No incremental caches: CI builds each version once, and they only fill the disk. The
# shared directory keeps every version's artefacts (debug; release for the packages; fuzz),
# so past 60 GiB it starts again empty; not sooner, as a cold run is the slow one.
export CARGO_INCREMENTAL=0
if [ -d "$CARGO_TARGET_DIR" ] && [ "$(du -sm "$CARGO_TARGET_DIR" | cut -f1)" -gt 61440 ]; then
  echo "== $CARGO_TARGET_DIR is over 60 GiB: emptying it" >&2
  rm -rf "$CARGO_TARGET_DIR"
fi
# The Python with pycose that setup.sh installed, for the QR token interop test.
export TESSERA_PYTHON="$HOME/.cache/tessera/venv/bin/python"

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check

echo "== UI: install, type check, lint, unit tests, build" >&2
(cd ui && npm ci --no-audit --no-fund && npm run check && npm run lint && npm test && npm run build)

echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
echo "== core must not depend on a window, camera or terminal crate" >&2
if cargo tree -p tessera-core --edges normal --prefix none --format '{p}' --locked \
    | grep -Eq '^(tauri|nokhwa|tessera-camera|rqrr|rxing|clap|rpassword) '; then
  echo "tessera-core depends on a front-end crate" >&2
  exit 1
fi

# The shell is built with the UI embedded once, for its unit tests and the end-to-end suite.
echo "== cargo test: core, CLI, shell (with the generated-bindings drift check)" >&2
cargo test --locked --features tessera-app/custom-protocol

echo "== end-to-end: the real app under Xvfb through WebKitWebDriver" >&2
cargo build --locked -p tessera-app --features custom-protocol
export TESSERA_APP_BIN="$CARGO_TARGET_DIR/debug/tessera-app"
# The transfer test makes its two vaults with the CLI that `cargo test` built above.
export TESSERA_CLI_BIN="$CARGO_TARGET_DIR/debug/tessera"
cargo test --locked -p tessera-e2e --test app --test accounts --test duplicates --test defects --test clinic --test retention_erasure --test access --test exports --test transfer -- --test-threads=1

# Needs root (or sudo) for dpkg and the network namespace.
echo "== the release: signed, checked, installed, run offline, upgraded, removed" >&2
scripts/test-install.sh

# A short run in CI from the committed seeds (a JPEG, PNG and WebP with EXIF, and the
# regressions found so far; QR frames; a vault's header.json; the tar inside a backup);
# longer by hand (`scripts/fuzz.sh 600`).
echo "== fuzz: the photo import path, the QR decoder, the vault header, the backup reader (30 s each)" >&2
scripts/fuzz.sh 30
