#!/usr/bin/env bash
# Sets up the machine, builds Tessera and opens the default vault (~/.local/share/tessera),
# creating it with a first admin when there is none yet.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
cargo build --release --locked -p tessera-cli
tessera="$CARGO_TARGET_DIR/release/tessera"

vault="${TESSERA_VAULT:-${XDG_DATA_HOME:-$HOME/.local/share}/tessera}"
if [ ! -f "$vault/header.json" ]; then
  admin="${TESSERA_USER:-}"
  if [ -z "$admin" ]; then
    read -r -p "No vault yet at $vault. User name for its first admin: " admin
  fi
  "$tessera" --vault "$vault" init --admin "$admin"
  export TESSERA_USER="$admin"
fi
if [ -z "${TESSERA_USER:-}" ]; then
  read -r -p "User name: " TESSERA_USER
  export TESSERA_USER
fi
"$tessera" --vault "$vault" vault info
