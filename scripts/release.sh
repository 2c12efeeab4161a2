#!/usr/bin/env bash
# Builds a signed Tessera release in one command, with no network but the package registries
# that setup needs: the UI, the app and the CLI (release profile), the .deb and .rpm, an
# offline APT repository for a USB stick, the SBOMs and licence report, SHA256SUMS signed
# with OpenPGP and minisign, and a final check of all of it with `tessera verify-install`.
#
#   scripts/release.sh --keys DIR [--out DIR]      sign with the release keys in DIR
#   scripts/release.sh --throwaway-key [--out DIR] sign with a key made now (tests)
#
# DIR holds `gnupg/` (a GnuPG home with the release signing key) and `minisign.key`; see
# docs/install.md for how they are made and kept offline. The public halves go into the
# packages (/usr/share/tessera/keys, and the APT keyring) and next to the artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

keys=""
throwaway=false
out="$ROOT/target/release-artifacts"
while [ $# -gt 0 ]; do
  case "$1" in
    --keys) keys="$(realpath "$2")"; shift 2 ;;
    --throwaway-key) throwaway=true; shift ;;
    --out) out="$(realpath -m "$2")"; shift 2 ;;
    *) echo "release: unknown argument $1 (see the comment at the top of this script)" >&2; exit 2 ;;
  esac
done
if [ "$throwaway" = false ] && [ -z "$keys" ]; then
  echo "release: give --keys DIR (the release keys) or --throwaway-key (for a test build)" >&2
  exit 2
fi

scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
export CARGO_INCREMENTAL=0
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
ARCH="$(dpkg --print-architecture)"

rm -rf "$out"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== keys" >&2
if [ "$throwaway" = true ]; then
  keys="$work/keys"
  mkdir -p "$keys/gnupg"
  chmod 700 "$keys/gnupg"
  GNUPGHOME="$keys/gnupg" gpg --batch --quiet --passphrase '' \
    --quick-gen-key "Tessera release (throwaway test key) <release@tessera.invalid>" ed25519 sign never
  minisign -G -W -p "$keys/minisign.pub" -s "$keys/minisign.key" -c "Tessera release (throwaway test key)" >/dev/null
fi
export GNUPGHOME="$keys/gnupg"
gpg() { command gpg --batch --quiet "$@"; }
fingerprint="$(gpg --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')"
[ -n "$fingerprint" ] || { echo "release: no secret key in $GNUPGHOME" >&2; exit 1; }
public="$work/public"
mkdir -p "$public"
gpg --export "$fingerprint" > "$public/tessera-release.gpg"
gpg --armor --export "$fingerprint" > "$public/tessera-release.asc"
if [ -f "$keys/minisign.pub" ]; then
  cp "$keys/minisign.pub" "$public/tessera-release.minisign.pub"
else
  echo "release: $keys/minisign.pub is missing" >&2
  exit 1
fi

echo "== UI and binaries (release profile)" >&2
(cd ui && npm ci --no-audit --no-fund && npm run build)
cargo build --release --locked -p tessera-app --features tessera-app/custom-protocol -p tessera-cli

echo "== packages: .deb and .rpm" >&2
# Files the packages carry beside the app: the CLI and the release's public keys. Absolute
# paths, so they are given here rather than in tauri.conf.json.
files=$(cat <<JSON
{
  "/usr/bin/tessera": "$CARGO_TARGET_DIR/release/tessera",
  "/usr/share/tessera/keys/tessera-release.gpg": "$public/tessera-release.gpg",
  "/usr/share/tessera/keys/tessera-release.asc": "$public/tessera-release.asc",
  "/usr/share/tessera/keys/tessera-release.minisign.pub": "$public/tessera-release.minisign.pub",
  "/usr/share/keyrings/tessera-archive-keyring.gpg": "$public/tessera-release.gpg"
}
JSON
)
cat > "$work/package-files.json" <<JSON
{ "bundle": { "linux": { "deb": { "files": $files }, "rpm": { "files": $files } } } }
JSON
(cd src-tauri && "$ROOT/ui/node_modules/.bin/tauri" bundle --ci --bundles deb,rpm --config "$work/package-files.json")
bundles="$CARGO_TARGET_DIR/release/bundle"
deb="tessera_${VERSION}_${ARCH}.deb"
cp "$bundles/deb/Tessera_${VERSION}_${ARCH}.deb" "$out/$deb"
cp "$bundles"/rpm/*.rpm "$out/"
# AppImage: the Tauri bundler downloads linuxdeploy and its plugins from GitHub, which an
# offline build cannot; it is configured in tauri.conf.json and built where that is allowed.
mkdir -p "$out/keys"
cp "$public"/* "$out/keys/"

echo "== offline APT repository" >&2
apt_repo="$out/apt"
mkdir -p "$apt_repo/pool/main/t/tessera" "$apt_repo/dists/stable/main/binary-$ARCH"
cp "$out/$deb" "$apt_repo/pool/main/t/tessera/"
(cd "$apt_repo" && apt-ftparchive packages pool > "dists/stable/main/binary-$ARCH/Packages")
gzip -9kn "$apt_repo/dists/stable/main/binary-$ARCH/Packages"
apt-ftparchive \
  -o APT::FTPArchive::Release::Origin=Tessera -o APT::FTPArchive::Release::Label=Tessera \
  -o APT::FTPArchive::Release::Suite=stable -o APT::FTPArchive::Release::Codename=stable \
  -o APT::FTPArchive::Release::Architectures="$ARCH" -o APT::FTPArchive::Release::Components=main \
  release "$apt_repo/dists/stable" > "$work/Release"
mv "$work/Release" "$apt_repo/dists/stable/Release"
gpg --yes --local-user "$fingerprint" --clearsign \
  -o "$apt_repo/dists/stable/InRelease" "$apt_repo/dists/stable/Release"
gpg --yes --local-user "$fingerprint" --armor --detach-sign \
  -o "$apt_repo/dists/stable/Release.gpg" "$apt_repo/dists/stable/Release"
cp "$public/tessera-release.gpg" "$apt_repo/tessera-archive-keyring.gpg"
cat > "$apt_repo/tessera.sources" <<SOURCES
# Copy to /etc/apt/sources.list.d/ and set URIs to where the stick is mounted.
Types: deb
URIs: file:/media/usb/tessera/apt
Suites: stable
Components: main
Signed-By: /usr/share/keyrings/tessera-archive-keyring.gpg
SOURCES

echo "== SBOMs and licence report" >&2
mkdir -p "$out/sbom"
# One SBOM per shipped binary, of what is linked into it (build-time crates left out).
# cargo-cyclonedx writes one beside every workspace member's Cargo.toml: keep the shipped
# two, remove the rest.
cargo cyclonedx --format json --spec-version 1.5 --describe binaries --no-build-deps \
  --target "$(rustc -vV | sed -n 's/^host: //p')" -q
mv src-tauri/tessera-app_bin.cdx.json "$out/sbom/tessera-app.rust.cdx.json"
mv crates/cli/tessera_bin.cdx.json "$out/sbom/tessera-cli.rust.cdx.json"
find . -name '*_bin.cdx.json' -not -path './target/*' -not -path './ui/node_modules/*' -delete
(cd ui && ./node_modules/.bin/cyclonedx-npm --omit dev --output-format JSON --spec-version 1.5 \
  --output-file "$out/sbom/tessera-ui.npm.cdx.json" >/dev/null)
cp crates/core/assets/fonts/OFL.txt "$out/sbom/Noto-Sans-OFL.txt"
python3 scripts/licence_report.py "$out/sbom"/*.cdx.json \
  --asset "Noto Sans, the PDF exports' font (see Noto-Sans-OFL.txt)=OFL-1.1" > "$out/sbom/LICENCES.md"

echo "== SHA256SUMS, signed twice" >&2
(cd "$out" && find . -type f ! -name 'SHA256SUMS*' -printf '%P\n' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS)
gpg --yes --local-user "$fingerprint" --armor --detach-sign -o "$out/SHA256SUMS.asc" "$out/SHA256SUMS"
minisign -S -s "$keys/minisign.key" -m "$out/SHA256SUMS" -x "$out/SHA256SUMS.minisig" \
  -t "Tessera $VERSION" </dev/null >/dev/null

echo "== verify, as a site would" >&2
gpgv --keyring "$out/keys/tessera-release.gpg" "$out/SHA256SUMS.asc" "$out/SHA256SUMS"
minisign -V -p "$out/keys/tessera-release.minisign.pub" -m "$out/SHA256SUMS" -x "$out/SHA256SUMS.minisig"
(cd "$out" && sha256sum --quiet -c SHA256SUMS)
"$CARGO_TARGET_DIR/release/tessera" verify-install "$out" --keys "$out/keys" >/dev/null

echo "== sizes" >&2
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }
for f in "$out"/*.deb "$out"/*.rpm; do
  echo "$(basename "$f"): $(mb "$(stat -c %s "$f")")" >&2
done
echo "installed (the .deb's Installed-Size): $(mb "$(( $(dpkg-deb -f "$out/$deb" Installed-Size) * 1024 ))")" >&2
echo "OpenPGP key: $fingerprint" >&2
echo "release: $out" >&2
