#!/usr/bin/env bash
# build-tool.sh DIR MODULE CMD builds MODULE/cmd/CMD into bin/CMD at the
# repository root, at exactly the version DIR/go.mod pins (a tools module with
# a `tool` directive, kept apart because the tool needs many modules orch
# does not). When orch's own go.mod requires MODULE too, both must pin the
# same version, so a daemon and the client orch links always match.
#
# Running it again is cheap: when bin/CMD already records the pinned version
# it exits without building. The binary is built under a temporary name and
# renamed, so a half-written one never passes that check.
set -euo pipefail

if [[ $# -ne 3 ]]; then
	echo "usage: build-tool.sh TOOLS_DIR MODULE CMD" >&2
	exit 2
fi
dir="$(cd "$1" && pwd)"
mod=$2
cmd=$3
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/bin/$cmd"

# Reading go.mod, rather than asking go, keeps a no-op run free of module
# loading: it needs neither network nor cache.
want="$(awk -v p="$mod" '$1 == p { print $2 }' "$dir/go.mod")"
if [[ -z "$want" ]]; then
	echo "build-tool.sh: $mod is not required in $dir/go.mod" >&2
	exit 1
fi
orch_want="$(awk -v p="$mod" '$1 == p { print $2 }' "$root/go.mod")"
if [[ -n "$orch_want" && "$orch_want" != "$want" ]]; then
	echo "build-tool.sh: $dir/go.mod pins $mod $want but orch requires $orch_want; update the tools module" >&2
	exit 1
fi

# go version -m reads the module versions linked into the binary; the "mod"
# line names the module of the main package and the version it came from.
if [[ -x "$out" ]] && go version -m "$out" 2>/dev/null |
	awk -v p="$mod" -v v="$want" '$1 == "mod" && $2 == p && $3 == v { found = 1 } END { exit !found }'; then
	echo "bin/$cmd is already $mod $want"
	exit 0
fi

mkdir -p "$root/bin"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
cd "$dir"
# The version variables are normally set by the project's own Makefile
# (some keep them in a version package, others in main.version); setting them
# makes `CMD --version` say what it is (the linker ignores an -X naming a
# variable that does not exist). No cgo: the tools need none of their cgo-only parts.
CGO_ENABLED=0 go build -trimpath \
	-ldflags "-s -w -X $mod/version.Version=$want -X $mod/version.Package=$mod -X main.version=$want" \
	-o "$tmp" "$mod/cmd/$cmd"
mv "$tmp" "$out"
trap - EXIT
echo "built bin/$cmd from $mod $want"
