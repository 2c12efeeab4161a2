#!/usr/bin/env bash
# Fuzzes the photo import path (tessera-media: sniff, limits, EXIF read, strip, thumbnail)
# with cargo-fuzz and libFuzzer for SECONDS (default 60). The target checks invariants, not
# just the absence of panics: see fuzz/fuzz_targets/import.rs.
#
# Exits non-zero when libFuzzer finds a failing input (a panic, a broken invariant, an
# allocation over the memory limit); the reproducer is written to fuzz/artifacts/import/,
# and `scripts/fuzz.sh` prints the command that replays it. New interesting inputs go to
# fuzz/corpus/import/ (ignored by git; the committed seeds are the seed-* files).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS]" >&2
  exit 2
fi

export PATH="$HOME/.cargo/bin:$PATH"
# The project's machines have stable Rust only. libFuzzer needs nightly flags (the sanitizer
# and coverage instrumentation); RUSTC_BOOTSTRAP=1 lets stable rustc accept them.
export RUSTC_BOOTSTRAP=1
# Under the target directory shared by every checkout (see scripts/test.sh), so CI reuses
# the instrumented build; a subdirectory of its own because its flags differ from a normal
# build's and would otherwise make the two rebuild each other.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}/fuzz"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

# -rss_limit_mb: the pipeline may legitimately allocate up to Limits::max_alloc (464 MB) for
# one decode; 4 GB is far above that, so hitting it means a real memory bug.
if ! cargo fuzz run import -- -max_total_time="$seconds" -rss_limit_mb=4096; then
  echo "fuzz: libFuzzer found a failing input, saved under fuzz/artifacts/import/." >&2
  echo "fuzz: replay it with: RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$CARGO_TARGET_DIR cargo fuzz run import fuzz/artifacts/import/<file>" >&2
  exit 1
fi
