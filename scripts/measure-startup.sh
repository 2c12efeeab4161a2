#!/usr/bin/env bash
# Cold start (process start to first screen rendered) and idle memory (PSS of the app and its
# WebKit processes) of Tessera beside a minimal Tauri window, measured alike in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
(cd ui && npm ci --no-audit --no-fund && npm run build)
cargo build --locked --release -p tessera-app -p tessera-minimal-window --features tessera-app/custom-protocol,tauri/custom-protocol
export TESSERA_APP_BIN="$CARGO_TARGET_DIR/release/tessera-app"
export MINIMAL_WINDOW_BIN="$CARGO_TARGET_DIR/release/tessera-minimal-window"
cargo run --locked --release -p tessera-e2e --bin startup
