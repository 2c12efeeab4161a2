#!/usr/bin/env bash
# Installs what Tessera needs to build and test on Debian or Ubuntu: system packages and the
# Rust components. Safe to run again; it installs only what is missing.
set -euo pipefail

# Build: a C compiler, make and perl build the bundled SQLCipher and its vendored OpenSSL;
# WebKitGTK and friends build the desktop shell; Node.js builds the UI.
# Tests: sqlite3 proves a vault is unreadable by stock SQLite; strace proves no command opens
# a network socket; exiftool writes and reads photo metadata; Xvfb and WebKitWebDriver run the real app for the end-to-end suite;
# age and tar (the standard tools) prove a backup opens without Tessera; util-linux's unshare
# mounts a tiny tmpfs for the full-disk test.
APT_PACKAGES=(build-essential pkg-config perl make sqlite3 ca-certificates file
  libwebkit2gtk-4.1-dev librsvg2-dev libayatana-appindicator3-dev libssl-dev
  nodejs xvfb webkit2gtk-driver strace libimage-exiftool-perl age tar util-linux)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "setup: installing Rust with rustup" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi
if command -v rustup >/dev/null 2>&1; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi

# The UI's toolchain (Vite 7) needs Node.js 20.19 or newer.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is needed to build the UI; this machine has $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi
command -v npm >/dev/null 2>&1 || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm
