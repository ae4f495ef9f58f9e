# A monorepo: one base image built FROM scratch with busybox, and services
# that build on it through `target:` links. `orch build all` builds base
# first, then the services in parallel, and writes every image to an OCI
# image layout under out/ (paths are relative to this file).
#
# The busybox context is the per-architecture busybox that
# `go tool task setup` puts in bin/busybox at the top of the repository.

variable "TAG" {
  default     = "dev"
  description = "Tag given to every image."
}

variable "BUSYBOX" {
  default     = "../../bin/busybox"
  description = "Directory holding <arch>/busybox for each target platform."
}

group "default" {
  targets = ["services"]
}

group "services" {
  targets = ["api", "worker", "web"]
}

target "base" {
  description = "Minimal userland every service starts from."
  context     = "base"
  contexts    = { busybox = BUSYBOX }
  tags        = ["monorepo/base:${TAG}"]
  output      = ["type=oci,tar=false,dest=out/base"]
}

# Services share everything but their name.
target "_service" {
  contexts = { base = "target:base" }
  args     = { TAG = TAG }
}

target "api" {
  inherits    = ["_service"]
  description = "HTTP API."
  context     = "api"
  tags        = ["monorepo/api:${TAG}"]
  output      = ["type=oci,tar=false,dest=out/api"]
}

target "worker" {
  inherits    = ["_service"]
  description = "Background job runner."
  context     = "worker"
  tags        = ["monorepo/worker:${TAG}"]
  output      = ["type=oci,tar=false,dest=out/worker"]
}

target "web" {
  inherits    = ["_service"]
  description = "Static site, published after the API it documents."
  context     = "web"
  depends_on  = ["api"]
  tags        = ["monorepo/web:${TAG}"]
  output      = ["type=oci,tar=false,dest=out/web"]
}
