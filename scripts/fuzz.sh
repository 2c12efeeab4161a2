#!/usr/bin/env bash
# Fuzzes with cargo-fuzz and libFuzzer, SECONDS (default 60) for each target:
#   import    the photo import path (tessera-media: sniff, limits, EXIF read, strip,
#             thumbnail); it checks invariants, not just the absence of panics: see
#             fuzz/fuzz_targets/import.rs;
#   qr_frame  the QR decoder (tessera-camera) through the panic-catching wrapper its worker
#             process runs: see fuzz/fuzz_targets/qr_frame.rs;
#   header    the vault's header.json parser (tessera-core): a refusal is a typed error, and
#             what it accepts is written back and read again unchanged: see
#             fuzz/fuzz_targets/header.rs;
#   backup    the backup reader (tessera-core's backup::verify) on the plain tar inside a
#             backup, encrypted to a key of the run: the member checks, the manifest, the
#             blobs and the snapshot; a refusal must say the backup is damaged, not that the
#             disk failed: see fuzz/fuzz_targets/backup.rs.
#
# Exits non-zero when libFuzzer finds a failing input (a panic, a broken invariant, an
# allocation over the memory limit, a timeout); the reproducer is written to
# fuzz/artifacts/TARGET/, and `scripts/fuzz.sh` prints the command that replays it. New
# interesting inputs go to fuzz/corpus/TARGET/ (ignored by git; the committed seeds are the
# seed-* files).
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

run_target() {
  local target="$1"
  shift
  if ! cargo fuzz run "$target" -- -max_total_time="$seconds" "$@"; then
    echo "fuzz: libFuzzer found a failing input in $target, saved under fuzz/artifacts/$target/." >&2
    echo "fuzz: replay it with: RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$CARGO_TARGET_DIR cargo fuzz run $target fuzz/artifacts/$target/<file>" >&2
    exit 1
  fi
}

# -rss_limit_mb: the pipeline may legitimately allocate up to Limits::max_alloc (464 MB) for
# one decode; 4 GB is far above that, so hitting it means a real memory bug.
run_target import -rss_limit_mb=4096
# The QR worker runs under a 1 GiB address-space limit and a 2 s time limit a frame; frames
# here are at most 1 megapixel, so 2 GB of RSS (with the sanitizer's overhead) or 10 s for one
# input (instrumented and with debug assertions) means a runaway decoder.
run_target qr_frame -rss_limit_mb=2048 -timeout=10
# A header is a few kilobytes of JSON, parsed in well under a millisecond: 10 s means a hang.
run_target header -timeout=10
# One input (a 250 kB backup: its snapshot copied, opened and checked) takes some 20 ms; 10 s
# means a reader that no longer advances. Memory is bounded by the input (members are read
# as they arrive), so the default 2 GB stands.
run_target backup -timeout=10
