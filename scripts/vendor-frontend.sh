#!/usr/bin/env bash
# Vendor the third-party front-end libraries from the npm registry into static/vendor/.
#
# The app serves the committed copies and never needs npm; run this only to change a version.
# Each tarball is checked against the integrity hash pinned below before anything is copied,
# so a changed or tampered package fails loudly. To upgrade: change the version, run once with
# the new hash from `npm view leaflet@<version> dist.integrity`, read the diff, commit.
set -euo pipefail
cd "$(dirname "$0")/.."

LEAFLET_VERSION=1.9.4
LEAFLET_INTEGRITY="sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA=="

command -v npm >/dev/null || { echo "npm is needed to vendor; the app itself is not." >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fetch() {  # fetch NAME VERSION INTEGRITY → unpacked into $tmp/NAME/package
  local name=$1 version=$2 integrity=$3 tarball actual
  mkdir -p "$tmp/$name"
  tarball=$(cd "$tmp/$name" && npm pack --silent "$name@$version" 2>/dev/null | tail -n 1)
  actual="sha512-$(openssl dgst -sha512 -binary "$tmp/$name/$tarball" | base64 -w 0)"
  if [ "$actual" != "$integrity" ]; then
    echo "$name@$version: integrity $actual does not match the pinned $integrity" >&2
    exit 1
  fi
  tar -xzf "$tmp/$name/$tarball" -C "$tmp/$name"
}

fetch leaflet "$LEAFLET_VERSION" "$LEAFLET_INTEGRITY"
src="$tmp/leaflet/package"
dest=static/vendor/leaflet
rm -rf "$dest"
mkdir -p "$dest/images"
# The minified build (loaded on demand by static/js/clinics/map.js), its stylesheet, the
# images the stylesheet and the default marker icon refer to, and the licence.
cp "$src/dist/leaflet.js" "$src/dist/leaflet.css" "$dest/"
cp "$src/dist/images/"*.png "$dest/images/"
cp "$src/LICENSE" "$dest/LICENSE"
license=$(node -p "require('$src/package.json').license")

cat > static/vendor/VERSIONS.md <<EOF
# Vendored front-end libraries

Written by \`scripts/vendor-frontend.sh\` from the npm registry; do not edit by hand.
The app serves these committed files and does not need npm.

| library | version | licence | files | npm integrity |
|---|---|---|---|---|
| [Leaflet](https://leafletjs.com/) | $LEAFLET_VERSION | $license (\`leaflet/LICENSE\`) | \`leaflet/leaflet.js\`, \`leaflet/leaflet.css\`, \`leaflet/images/*.png\` | \`$LEAFLET_INTEGRITY\` |
EOF

echo "Vendored leaflet@$LEAFLET_VERSION into $dest."
