#!/usr/bin/env bash
# build.sh builds the containerd daemon that orch's containerd destination is
# tested against into bin/containerd, at the version this directory's go.mod
# pins, which must be the one orch's go.mod requires.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/../../scripts/build-tool.sh" "$here" github.com/containerd/containerd/v2 containerd
