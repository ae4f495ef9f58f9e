# Every target attribute, each with a plain value.
target "all" {
  description       = "every attribute at once"
  context           = "app"
  dockerfile        = "build/Dockerfile.app"
  args = {
    GO_VERSION = "1.26"
    EMPTY      = ""
    NUMBER     = 3
    BOOL       = true
  }
  labels = {
    "org.opencontainers.image.title" = "app"
    "com.example.team"               = "platform"
  }
  annotations    = ["index:org.opencontainers.image.vendor=example", "manifest:com.example.k=v"]
  tags           = ["registry.example:5000/app:1.0", "app:latest"]
  platforms      = ["linux/amd64", "linux/arm64"]
  target         = "release"
  output         = ["type=oci,dest=out/app.tar"]
  cache-from     = ["type=local,src=.cache/app"]
  cache-to       = ["type=local,dest=.cache/app,mode=max"]
  secret         = ["id=npmrc,src=secrets/npmrc", "id=token,env=API_TOKEN"]
  ssh            = ["default", "github=agent.sock"]
  attest         = ["type=provenance,mode=max", "type=sbom"]
  pull           = true
  no-cache       = false
  no-cache-filter = ["deps", "build"]
  network        = "host"
  shm-size       = "128m"
  ulimits        = ["nofile=1024:2048", "nproc=512"]
  extra-hosts = {
    "db.internal"    = "10.0.0.5"
    "cache.internal" = "10.0.0.6"
  }
  entitlements = ["network.host"]
  contexts = {
    base    = "docker-image://busybox:1.36"
    assets  = "./assets"
    scripts = "https://example.com/scripts.git"
  }
}

target "inline" {
  dockerfile-inline = "FROM scratch\nCOPY . /\n"
  call              = "check"
}

target "nulls" {
  # null attributes are as good as absent
  context  = null
  tags     = null
  args     = { KEEP = "1", DROP = null }
}

group "default" {
  targets = ["all", "inline", "nulls"]
}
