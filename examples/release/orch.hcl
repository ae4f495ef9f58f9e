# A multi-platform release set: every image is built for linux/amd64 and
# linux/arm64 (RUN steps on arm64 run under QEMU), published as one manifest
# list per image to REGISTRY, and kept as an OCI archive under out/.
#
#   orch build -f examples/release/orch.hcl --var REGISTRY=127.0.0.1:5000 --var VERSION=1.2.0
#
# A plain-HTTP registry must be marked as such in the builder's config (for
# the managed buildkitd: [registry."127.0.0.1:5000"] http = true in
# ~/.local/share/orch/buildkitd/buildkitd.toml).

variable "REGISTRY" {
  default     = "127.0.0.1:5000"
  description = "Registry the release is pushed to."
}

variable "VERSION" {
  default = "0.1.0"
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", VERSION))
    error_message = "VERSION must look like 1.2.3."
  }
}

variable "BUSYBOX" {
  default = "../../bin/busybox"
}

group "default" {
  targets = ["cli", "agent"]
}

target "_release" {
  platforms = ["linux/amd64", "linux/arm64"]
  contexts  = { busybox = BUSYBOX }
  args      = { VERSION = VERSION }
  labels    = { "org.opencontainers.image.version" = VERSION }
}

target "cli" {
  inherits = ["_release"]
  context  = "cli"
  tags     = ["${REGISTRY}/release/cli:${VERSION}", "${REGISTRY}/release/cli:latest"]
  output   = ["type=registry", "type=oci,dest=out/cli-${VERSION}.tar"]
}

target "agent" {
  inherits = ["_release"]
  context  = "agent"
  tags     = ["${REGISTRY}/release/agent:${VERSION}"]
  output   = ["type=registry"]
}
