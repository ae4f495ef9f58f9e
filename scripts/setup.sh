#!/usr/bin/env bash
# Sets up everything orch's builds and tests need on a Debian machine, as root:
# system packages, QEMU user emulation for linux/arm64 RUN steps, the pinned
# buildkitd and buildctl built from the BuildKit version go.mod requires, a
# busybox per architecture for the FROM scratch examples, and the tools the
# tests run (buildx, containerd, gremlins). Every step checks first and does
# nothing when its result is already there, so running it twice is cheap.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin"
mkdir -p "$bin"

log() { printf 'setup: %s\n' "$*"; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# 1. Debian packages, only the missing ones; apt-get update once, first.
# podman is the destination the Podman tests load images into (the test bed
# runs `podman system service` with its own storage); chromium renders the
# HTML run report headless in its test.
packages=(runc docker-registry busybox-static qemu-user-static podman chromium)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
apt_updated=
apt_update() {
	if [ -z "$apt_updated" ]; then
		as_root apt-get update -qq
		apt_updated=1
	fi
}
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	apt_update
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. binfmt_misc and the QEMU handlers, so buildkitd lists linux/arm64 and can
# run its RUN steps. The F flag in Debian's entries makes the kernel open the
# interpreter at registration, so it works inside containers too.
binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/register" ]; then
	log "mounting binfmt_misc"
	as_root mount -t binfmt_misc binfmt_misc "$binfmt"
fi
for conf in /usr/lib/binfmt.d/qemu-*.conf; do
	name=$(cut -d: -f2 "$conf")
	if [ ! -e "$binfmt/$name" ]; then
		# A handler that the kernel refuses (an architecture this kernel
		# cannot emulate) must not stop the setup.
		as_root sh -c "cat '$conf' > '$binfmt/register'" 2>/dev/null || log "could not register $name"
	fi
done
[ -e "$binfmt/qemu-aarch64" ] || { log "qemu-aarch64 is not registered in $binfmt"; exit 1; }

# 3. buildkitd and buildctl at exactly the BuildKit version go.mod requires,
# so client and daemon always match. Both are Go tool dependencies of this
# module (go.mod's tool block).
cd "$root"
bk_version=$(go list -m -f '{{.Version}}' github.com/moby/buildkit)
ldflags="-X github.com/moby/buildkit/version.Version=$bk_version"
for cmd in buildkitd buildctl; do
	if [ -x "$bin/$cmd" ] && "$bin/$cmd" --version 2>/dev/null | grep -q " $bk_version "; then
		continue
	fi
	log "building $cmd $bk_version (the first build takes several minutes)"
	go build -trimpath -ldflags "$ldflags" -o "$bin/$cmd.new" "github.com/moby/buildkit/cmd/$cmd"
	mv "$bin/$cmd.new" "$bin/$cmd"
done

# 4. A static busybox per architecture, laid out as bin/busybox/<arch>/busybox
# so Dockerfiles can `COPY --from=busybox ${TARGETARCH}/busybox /bin/busybox`.
mkdir -p "$bin/busybox/amd64" "$bin/busybox/arm64"
[ -x "$bin/busybox/amd64/busybox" ] || install -m 0755 /bin/busybox "$bin/busybox/amd64/busybox"
if [ ! -x "$bin/busybox/arm64/busybox" ]; then
	log "fetching busybox-static:arm64"
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		as_root dpkg --add-architecture arm64
		apt_updated=
	fi
	apt_update
	tmp=$(mktemp -d)
	# apt-get download runs as the _apt user where it can.
	chmod 0755 "$tmp"
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -qq busybox-static:arm64 >/dev/null)
	dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$tmp/x"
	install -m 0755 "$tmp/x/bin/busybox" "$bin/busybox/arm64/busybox.new"
	mv "$bin/busybox/arm64/busybox.new" "$bin/busybox/arm64/busybox"
fi

# 5. The reference buildx (bake) that the differential test of `orch print`
# compares against; its own module pins the version.
bash "$root/tools/bakediff/build.sh"

# ---------------------------------------------------------------------------
# 6. containerd (issue 7): the daemon the containerd destination is tested
# against, built from the containerd version go.mod pins (tools/containerd
# holds its own module, as tools/bakediff does). Idempotent: no build when
# bin/containerd already records that version.
bash "$root/tools/containerd/build.sh"
# ---------------------------------------------------------------------------

# 7. go-gremlins, the mutation testing tool `go tool task mutate` runs, from
# its own tools module so orch's go.mod does not gain its dependencies.
bash "$root/tools/gremlins/build.sh"

log "ready: $("$bin/buildkitd" --version), $(runc --version | head -1), $(docker-registry --version), $(podman --version), $(chromium --version 2>/dev/null)"
