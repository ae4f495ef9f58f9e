# output, cache-from, cache-to, secret, ssh and attest accept objects as well
# as CSV strings, and both may be mixed in one list.
target "objects" {
  output = [
    { type = "oci", dest = "out/objects.tar", compression = "zstd" },
    "type=image,name=registry.example/objects:1,push=true",
    { type = "local", dest = "out/objects" },
  ]
  cache-from = [
    { type = "registry", ref = "registry.example/cache:objects" },
    "type=local,src=.cache/objects",
  ]
  cache-to = [
    { type = "inline" },
    { type = "local", dest = ".cache/objects", mode = "max" },
  ]
  secret = [
    { id = "npmrc", src = "secrets/npmrc" },
    { id = "token", env = "API_TOKEN" },
    "id=plain,src=secrets/npmrc",
  ]
  ssh = [
    { id = "default" },
    { id = "github", paths = ["agent.sock"] },
    "other=agent.sock",
  ]
  attest = [
    { type = "provenance", mode = "max", builder-id = "https://ci.example/run/1" },
    { type = "sbom", generator = "docker/buildkit-syft-scanner" },
  ]
}

target "csv-only" {
  output     = ["type=registry,ref=registry.example/csv:1", "type=cacheonly"]
  cache-from = ["user/app:cache", "type=gha,scope=csv"]
  cache-to   = ["type=gha,scope=csv,mode=max"]
  attest     = ["type=provenance,disabled=true", "type=sbom,disabled=false"]
  secret     = ["id=only,type=env,env=ONLY"]
}

target "single-strings" {
  # a bare string is one entry
  output = ["out/single"]
}
