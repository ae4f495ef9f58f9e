#!/usr/bin/env bash
# build.sh builds the reference `buildx` that internal/bakediff compares
# `orch print` against into bin/buildx, at the version this directory's
# go.mod pins; nothing is vendored.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/../../scripts/build-tool.sh" "$here" github.com/docker/buildx buildx
