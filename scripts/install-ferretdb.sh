#!/usr/bin/env bash
# Installs FerretDB 1.24.2 (MongoDB wire-compatible, SQLite backend) for the metering store when no real
# MongoDB is configured (MONGODB_URI). Idempotent: does nothing when a working `ferretdb` is already on PATH,
# in $GOBIN or in $(go env GOPATH)/bin.
#
# Why not plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`: the module zip lacks the
# generated build/version/version.txt, so that binary panics at start-up ("Invalid build/version/version.txt
# file content", see https://pkg.go.dev/github.com/FerretDB/FerretDB/build/version). We fetch the same module
# through the Go module proxy, copy it, write version.txt and build cmd/ferretdb with the module's own go.sum.
set -euo pipefail

VERSION="v1.24.2"
MODULE="github.com/FerretDB/FerretDB"

works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

if ! command -v go >/dev/null 2>&1; then
  for candidate in "$(command -v ferretdb 2>/dev/null || true)" "${GOBIN:-}/ferretdb" "$HOME/go/bin/ferretdb"; do
    if [ -n "$candidate" ] && works "$candidate"; then echo "ferretdb: already installed at $candidate"; exit 0; fi
  done
  echo "install-ferretdb: Go is not installed (no 'go' on PATH). Install Go 1.24 or newer (https://go.dev/dl/)," >&2
  echo "then run scripts/install-ferretdb.sh again — or point Mosaic at a real MongoDB with MONGODB_URI." >&2
  exit 1
fi

BIN_DIR="$(go env GOBIN)"
[ -n "$BIN_DIR" ] || BIN_DIR="$(go env GOPATH)/bin"

for candidate in "$(command -v ferretdb 2>/dev/null || true)" "$BIN_DIR/ferretdb"; do
  if [ -n "$candidate" ] && works "$candidate"; then echo "ferretdb: already installed at $candidate"; exit 0; fi
done
if [ -e "$BIN_DIR/ferretdb" ]; then
  echo "ferretdb: $BIN_DIR/ferretdb exists but does not run (a plain 'go install' build?); rebuilding it"
fi

echo "ferretdb: building $MODULE/cmd/ferretdb@$VERSION into $BIN_DIR (compiling takes a minute or two)…"
SRC="$(go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [ -z "$SRC" ] || [ ! -d "$SRC" ]; then
  echo "install-ferretdb: could not download $MODULE@$VERSION through the Go module proxy" >&2
  exit 1
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp -R "$SRC/." "$WORK/src"
chmod -R u+w "$WORK/src"
echo "$VERSION" > "$WORK/src/build/version/version.txt"
mkdir -p "$BIN_DIR"
(cd "$WORK/src" && GOFLAGS=-mod=mod go build -trimpath -buildvcs=false -o "$WORK/ferretdb" ./cmd/ferretdb)
mv -f "$WORK/ferretdb" "$BIN_DIR/ferretdb"
"$BIN_DIR/ferretdb" --version
echo "ferretdb: installed $BIN_DIR/ferretdb"
