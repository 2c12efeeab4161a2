#!/usr/bin/env bash
# Sets up the machine, builds the UI and the desktop app, and opens Tessera on the default
# vault (~/.local/share/tessera, or TESSERA_VAULT). A first start offers to create the vault.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
(cd ui && npm ci --no-audit --no-fund && npm run build)
cargo build --release --locked -p tessera-app --features custom-protocol
exec "$CARGO_TARGET_DIR/release/tessera-app"
