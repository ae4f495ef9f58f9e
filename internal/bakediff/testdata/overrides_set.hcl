# --set overrides (overrides_set.args): every key bake knows, replacing (=)
# and appending (+=), with target names, glob patterns and group names.
target "app" {
  context    = "app"
  args       = { KEEP = "app", REPLACE = "old" }
  labels     = { "keep" = "app" }
  tags       = ["app:1"]
  platforms  = ["linux/amd64"]
  output     = ["type=oci,dest=out/app.tar"]
  cache-from = ["type=local,src=.cache/app"]
  attest     = ["type=sbom"]
  annotations = ["index:a=1"]
}

target "api" {
  context = "api"
  tags    = ["api:1"]
}

target "worker" {
  context = "worker"
  tags    = ["worker:1"]
}

group "backend" {
  targets = ["api", "worker"]
}

group "default" {
  targets = ["app", "backend"]
}
