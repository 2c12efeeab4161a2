#!/usr/bin/env bash
# The release as a hospital receives it: built and signed by scripts/release.sh (with a
# throwaway key), verified, tampered with, installed with dpkg, run with no network, upgraded
# over an older package, and removed. Run by scripts/test.sh; needs root (or sudo) for dpkg.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
fail() { echo "test-install: $*" >&2; exit 1; }

out="$CARGO_TARGET_DIR/release-test"
scripts/release.sh --throwaway-key --out "$out"
deb="$(ls "$out"/tessera_*.deb)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== a site's checks accept the release, and refuse it with one byte changed" >&2
gpgv --keyring "$out/keys/tessera-release.gpg" "$out/SHA256SUMS.asc" "$out/SHA256SUMS"
minisign -Vq -p "$out/keys/tessera-release.minisign.pub" -m "$out/SHA256SUMS" -x "$out/SHA256SUMS.minisig"
cli="$CARGO_TARGET_DIR/release/tessera"
"$cli" verify-install "$out" --keys "$out/keys" >/dev/null
cp -r "$out" "$work/tampered"
tampered_deb="$work/tampered/$(basename "$deb")"
middle=$(( $(stat -c %s "$tampered_deb") / 2 ))
byte=$(od -An -tu1 -j "$middle" -N1 "$tampered_deb" | tr -d ' ')
printf "$(printf '\\%03o' $(( byte ^ 1 )))" | dd of="$tampered_deb" bs=1 seek="$middle" conv=notrunc status=none
status=0
"$cli" verify-install "$work/tampered" --keys "$out/keys" >/dev/null 2>"$work/refused" || status=$?
[ "$status" -eq 4 ] || fail "verify-install accepted a changed .deb (exit $status)"
grep -q "does not match SHA256SUMS" "$work/refused" || fail "unexpected refusal: $(cat "$work/refused")"
(cd "$work/tampered" && ! sha256sum --quiet -c SHA256SUMS 2>/dev/null) || fail "sha256sum accepted a changed .deb"
# A changed list is caught by both signatures.
echo "0000000000000000000000000000000000000000000000000000000000000000  extra" >> "$work/tampered/SHA256SUMS"
! gpgv --keyring "$out/keys/tessera-release.gpg" "$work/tampered/SHA256SUMS.asc" "$work/tampered/SHA256SUMS" 2>/dev/null \
  || fail "gpgv accepted a changed SHA256SUMS"
! minisign -Vq -p "$out/keys/tessera-release.minisign.pub" -m "$work/tampered/SHA256SUMS" -x "$work/tampered/SHA256SUMS.minisig" 2>/dev/null \
  || fail "minisign accepted a changed SHA256SUMS"

echo "== apt verifies the offline repository itself" >&2
apt_dir="$work/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/sources.list.d"
sed "s|file:/media/usb/tessera/apt|file:$out/apt|; s|/usr/share/keyrings/tessera-archive-keyring.gpg|$out/apt/tessera-archive-keyring.gpg|" \
  "$out/apt/tessera.sources" > "$apt_dir/sources.list.d/tessera.sources"
apt_opts=(-o "Dir::Etc::sourcelist=/dev/null" -o "Dir::Etc::sourceparts=$apt_dir/sources.list.d"
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
  -o "APT::Sandbox::User=root")
as_root apt-get "${apt_opts[@]}" update -qq 2>&1 | tee "$work/apt-update" >&2
grep -qiE "not signed|NO_PUBKEY|BADSIG|is not valid" "$work/apt-update" && fail "apt did not verify the repository"
# Read whole before matching: `grep -q` would stop reading early, and pipefail would then
# count apt-cache's broken pipe as a failure.
policy="$(apt-cache "${apt_opts[@]}" policy tessera)"
grep -q "file:$out/apt" <<<"$policy" || fail "apt does not see the package: $policy"

echo "== an older package first, with a vault made by it; then the new one over it" >&2
as_root dpkg -r tessera >/dev/null 2>&1 || true
older="$work/older"
dpkg-deb -R "$deb" "$older"
sed -i 's/^Version: .*/Version: 0.0.1/' "$older/DEBIAN/control"
dpkg-deb -b -Zgzip "$older" "$work/tessera_0.0.1.deb" >/dev/null
as_root dpkg -i "$work/tessera_0.0.1.deb" >/dev/null
home="$work/home"
mkdir -p "$home"
vault="$home/.local/share/tessera"
# The vault of the older release: a fixture made by a build whose schema was older.
mkdir -p "$(dirname "$vault")"
cp -r tests/fixtures/vault-schema6 "$vault"
as_root dpkg -i "$deb" >/dev/null
[ "$(dpkg-query -W -f '${Version}' tessera)" != 0.0.1 ] || fail "the upgrade did not install"
HOME="$home" TESSERA_PASSWORD="$(cat tests/fixtures/vault-schema6.password)" \
  /usr/bin/tessera --user ana patient list > "$work/patients" 2> "$work/upgrade-notice"
grep -q "A copy of it as it was is kept at" "$work/upgrade-notice" || fail "no word of the upgrade: $(cat "$work/upgrade-notice")"
copy="$(ls -d "$vault".pre-upgrade-*)"
[ -f "$copy/vault.db" ] || fail "no pre-upgrade copy beside the vault"
HOME="$home" TESSERA_PASSWORD="$(cat tests/fixtures/vault-schema6.password)" \
  /usr/bin/tessera --vault "$copy" --user ana patient list > "$work/patients-copy" 2>/dev/null
cmp -s "$work/patients" "$work/patients-copy" || fail "the pre-upgrade copy does not hold the same patients"

echo "== the installed app and CLI, cut off from the network" >&2
cargo build --locked -p tessera-e2e --tests
as_root unshare -n env "PATH=$PATH" "CARGO_TARGET_DIR=$CARGO_TARGET_DIR" "HOME=$HOME" sh -c \
  "ip link set lo up && cd '$ROOT' && cargo test --offline --locked -p tessera-e2e --test installed -- --test-threads=1"

echo "== removing the package leaves the vault" >&2
before="$(cd "$vault" && sha256sum header.json vault.db)"
as_root dpkg -r tessera >/dev/null
[ ! -e /usr/bin/tessera-app ] && [ ! -e /usr/bin/tessera ] || fail "dpkg -r left the programs"
[ "$(cd "$vault" && sha256sum header.json vault.db)" = "$before" ] || fail "dpkg -r changed the vault"
echo "test-install: ok" >&2
