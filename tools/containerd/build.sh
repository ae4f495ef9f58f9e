#!/usr/bin/env bash
# build.sh builds the containerd daemon that orch's containerd destination is
# tested against into bin/containerd at the repository root.
#
# The version is pinned by this directory's go.mod (a `tool` directive) at the
# containerd version orch's own go.mod requires, so the daemon and the client
# orch links always match. It is a module of its own because the daemon needs
# many modules orch does not. Running it again is cheap: when bin/containerd
# already records the pinned version it exits without building.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/bin/containerd"
mod=github.com/containerd/containerd/v2

cd "$here"
want="$(awk -v p="$mod" '$1 == p { print $2 }' go.mod)"
if [[ -z "$want" ]]; then
	echo "build.sh: $mod is not required in $here/go.mod" >&2
	exit 1
fi
orch_want="$(awk -v p="$mod" '$1 == p { print $2 }' "$root/go.mod")"
if [[ -n "$orch_want" && "$orch_want" != "$want" ]]; then
	echo "build.sh: $here/go.mod pins $mod $want but orch requires $orch_want; update the tools module" >&2
	exit 1
fi

if [[ -x "$out" ]] && go version -m "$out" 2>/dev/null |
	awk -v p="$mod" -v v="$want" '$1 == "mod" && $2 == p && $3 == v { found = 1 } END { exit !found }'; then
	echo "bin/containerd is already $mod $want"
	exit 0
fi

mkdir -p "$root/bin"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
# No cgo: the btrfs and other cgo-only snapshotters are left out, which the
# image store does not need.
CGO_ENABLED=0 go build -trimpath \
	-ldflags "-s -w -X $mod/version.Version=$want -X $mod/version.Package=$mod" \
	-o "$tmp" "$mod/cmd/containerd"
mv "$tmp" "$out"
trap - EXIT
echo "built bin/containerd from $mod $want"
