#!/usr/bin/env bash
# Sets up the machine and runs Tessera's whole test suite: formatting, lints, then every
# unit, integration and property test of the workspace. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
# One target directory outside the clone, shared by every checkout, so CI builds incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
echo "== core must not depend on a window, camera or terminal crate" >&2
if cargo tree -p tessera-core --edges normal --prefix none --format '{p}' --locked \
    | grep -Eq '^(tauri|nokhwa|clap|rpassword) '; then
  echo "tessera-core depends on a front-end crate" >&2
  exit 1
fi
echo "== cargo test" >&2
cargo test --workspace --locked
