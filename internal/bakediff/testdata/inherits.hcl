# inherits: several levels, a diamond, several parents applied in order, and
# how each kind of attribute merges (maps per key, lists replaced).
target "_common" {
  context    = "src"
  dockerfile = "Dockerfile.common"
  args = {
    A = "common"
    B = "common"
  }
  labels    = { "owner" = "common" }
  tags      = ["common:1"]
  platforms = ["linux/amd64"]
  output    = ["type=oci,dest=out/common.tar"]
  secret    = ["id=s1,src=secrets/npmrc"]
  no-cache  = true
}

target "_left" {
  inherits = ["_common"]
  args     = { B = "left", L = "left" }
  tags     = ["left:1"]
  cache-from = ["type=local,src=.cache/left"]
}

target "_right" {
  inherits  = ["_common"]
  args      = { B = "right", R = "right" }
  platforms = ["linux/arm64"]
  labels    = { "right" = "yes" }
}

# A diamond: both parents share _common; the later parent wins on conflicts,
# and the child's own attributes win over both.
target "diamond" {
  inherits = ["_left", "_right"]
  args     = { C = "diamond" }
}

# Order matters: the same parents the other way round.
target "diamond-reversed" {
  inherits = ["_right", "_left"]
}

# Three levels deep, overriding at each level.
target "level1" {
  inherits = ["_common"]
  args     = { LEVEL = "1" }
}
target "level2" {
  inherits   = ["level1"]
  args       = { LEVEL = "2" }
  dockerfile = "Dockerfile.level2"
}
target "level3" {
  inherits = ["level2"]
  args     = { LEVEL = "3", A = null }
  tags     = []
  no-cache = false
}

# A target may inherit from a target that is itself built.
target "app" {
  context = "app"
  tags    = ["app:1"]
}
target "app-debug" {
  inherits = ["app"]
  args     = { DEBUG = "1" }
  tags     = ["app:debug"]
}

group "default" {
  targets = ["diamond", "diamond-reversed", "level3", "app", "app-debug"]
}
