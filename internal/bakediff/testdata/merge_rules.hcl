# How each attribute merges, through inherits and through a same-name block
# in a second file (merge_rules.args adds extra/merge_rules.more.hcl).
# Lists of annotations, attest, secret, ssh, cache-from, no-cache-filter,
# ulimits and entitlements accumulate; the other lists are replaced.
target "_parent" {
  context           = "parent"
  dockerfile        = "Dockerfile.parent"
  dockerfile-inline = "FROM scratch\n"
  description       = "parent"
  target            = "parent-stage"
  call              = "build"
  annotations       = ["manifest:parent=1"]
  attest            = ["type=sbom", "type=provenance,mode=min"]
  secret            = ["id=parent,env=PARENT", "id=shared,env=FROM_PARENT"]
  ssh               = ["parent=agent.sock"]
  cache-from        = ["type=local,src=.cache/parent"]
  cache-to          = ["type=local,dest=.cache/parent"]
  output            = ["type=oci,dest=out/parent.tar"]
  no-cache-filter   = ["parent"]
  ulimits           = ["nofile=1:1"]
  entitlements      = ["network.host"]
  tags              = ["parent:1"]
  platforms         = ["linux/amd64"]
  contexts          = { parent = "docker-image://parent", shared = "./parent" }
  extra-hosts       = { parent = "10.0.0.1", shared = "10.0.0.2" }
  labels            = { parent = "1", shared = "parent" }
  args              = { PARENT = "1", SHARED = "parent" }
  pull              = true
  no-cache          = true
  network           = "host"
  shm-size          = "64m"
}

target "child" {
  inherits        = ["_parent"]
  annotations     = ["manifest:child=1"]
  attest          = ["type=provenance,mode=max"]
  secret          = ["id=child,env=CHILD", "id=shared,env=FROM_CHILD"]
  ssh             = ["child=agent.sock", "parent=agent.sock"]
  cache-from      = ["type=local,src=.cache/child", "type=local,src=.cache/parent"]
  cache-to        = ["type=local,dest=.cache/child"]
  output          = ["type=local,dest=out/child"]
  no-cache-filter = ["child", "parent"]
  ulimits         = ["nproc=2"]
  entitlements    = ["security.insecure"]
  tags            = ["child:1"]
  platforms       = ["linux/arm64"]
  contexts        = { child = "./child", shared = "./child" }
  extra-hosts     = { child = "10.0.1.1", shared = "10.0.1.2" }
  labels          = { child = "1", shared = "child" }
  args            = { CHILD = "1", SHARED = "child" }
  pull            = false
  network         = "none"
}

target "other" {
  context     = "other"
  tags        = ["other:1"]
  annotations = ["manifest:first=1"]
  args        = { FIRST = "1" }
}

group "default" {
  targets = ["child", "other"]
}
