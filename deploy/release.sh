#!/usr/bin/env bash
# deploy/release.sh: builds tinyscale's release binaries, static (no cgo)
# for linux/amd64 and linux/arm64, with their SHA-256 checksums.
#
#   deploy/release.sh [VERSION]      # default: git describe, else "dev"
#
# Writes $DIST (default dist/) /tinyscale-VERSION-linux-ARCH and
# SHA256SUMS; verify a download with `sha256sum -c --ignore-missing SHA256SUMS`.
# TARGETS overrides the platforms ("linux/amd64 linux/arm64").
set -euo pipefail

cd "$(dirname "$0")/.."
version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
dist=${DIST:-dist}
targets=${TARGETS:-linux/amd64 linux/arm64}

mkdir -p "$dist"
names=()
for target in $targets; do
	os=${target%/*}
	arch=${target#*/}
	name="tinyscale-$version-$os-$arch"
	echo "building $name"
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath \
		-ldflags "-s -w -X main.version=$version -X main.commit=$commit -X main.date=$date" \
		-o "$dist/$name" ./cmd/tinyscale
	names+=("$name")
done
(cd "$dist" && sha256sum "${names[@]}" >SHA256SUMS)
echo "wrote $dist/SHA256SUMS:"
cat "$dist/SHA256SUMS"
