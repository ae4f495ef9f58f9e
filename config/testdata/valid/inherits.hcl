target "_common" {
  args = { A = "common", C = "c" }
  labels = { L = "1" }
  tags = ["common"]
  platforms = ["linux/amd64", "linux/arm64"]
  cache-from = ["type=registry,ref=a", "type=registry,ref=b"]
  cache-to = ["type=inline"]
  annotations = ["a=1"]
  attest = ["type=sbom"]
  secret = ["id=s1,env=E1"]
  no-cache-filter = ["x"]
  ulimits = ["nofile=1024:2048"]
  entitlements = ["security.insecure"]
  extra-hosts = { h1 = "1.1.1.1" }
  network = "host"
  description = "common"
}
target "_mid" {
  inherits = ["_common"]
  args = { A = "mid", B = "b" }
  tags = ["mid"]
  cache-from = ["type=registry,ref=a", "type=registry,ref=c"]
  annotations = ["b=2", "a=1"]
  attest = ["type=provenance,mode=min", "type=sbom,generator=x"]
  secret = ["id=s1,src=.npmrc", "id=s2,env=E2"]
  pull = true
}
target "_other" {
  inherits = ["_common"]
  no-cache = false
  dockerfile = "Other.Dockerfile"
  shm-size = "128m"
  target = "stage"
  call = "check"
  output = ["type=image,name=x,push=false"]
}
target "app" {
  inherits = ["_mid", "_other"]
  args = { B = null, D = "d" }
  tags = []
  platforms = ["linux/arm64", "linux/arm64", ""]
  ulimits = ["nofile=1024:2048", "nproc=3"]
  description = ""
}
target "app2" {
  inherits = ["app"]
  cache-from = ["type=registry,ref=d", "type=registry,ref=a", "type=registry,ref=d"]
  output = []
}
