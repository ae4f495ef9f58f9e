#!/usr/bin/env bash
# build.sh builds the mutation testing tool that `go tool task mutate` runs,
# go-gremlins, into bin/gremlins at the version this directory's go.mod pins.
# It lives in a tools module of its own so orch's go.mod does not gain the
# tool's dependencies.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/../../scripts/build-tool.sh" "$here" github.com/go-gremlins/gremlins gremlins
