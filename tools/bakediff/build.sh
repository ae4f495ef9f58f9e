#!/usr/bin/env bash
# build.sh builds the reference `buildx` binary that internal/bakediff compares
# `orch print` against, into bin/buildx at the repository root.
#
# The version is pinned by this directory's go.mod (a `tool` directive), so the
# binary always comes from the Go module proxy at exactly that version and
# nothing is vendored. Running it again is cheap: when bin/buildx already
# records the pinned version it exits without building.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/bin/buildx"
pkg=github.com/docker/buildx

cd "$here"
# The pinned version is whatever go.mod requires; reading it here keeps one
# source of truth. Reading the file, rather than asking go, keeps the check
# free of module loading, so a no-op run needs neither network nor cache.
want="$(awk -v p="$pkg" '$1 == p { print $2 }' go.mod)"
if [[ -z "$want" ]]; then
	echo "build.sh: $pkg is not required in $here/go.mod" >&2
	exit 1
fi

# go version -m reads the module versions linked into the binary; the "mod"
# line names the module of the main package and the version it came from.
if [[ -x "$out" ]] && go version -m "$out" 2>/dev/null |
	awk -v p="$pkg" -v v="$want" '$1 == "mod" && $2 == p && $3 == v { found = 1 } END { exit !found }'; then
	echo "bin/buildx is already $pkg $want"
	exit 0
fi

mkdir -p "$root/bin"
# Building into a temporary name and renaming keeps a half-written binary from
# ever passing the check above.
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
# The version variable is normally set by buildx's own Makefile; setting it
# makes `bin/buildx version` say what it is.
CGO_ENABLED=0 go build -trimpath \
	-ldflags "-s -w -X $pkg/version.Version=$want -X $pkg/version.Package=$pkg" \
	-o "$tmp" "$pkg/cmd/buildx"
mv "$tmp" "$out"
trap - EXIT
echo "built bin/buildx from $pkg $want"
