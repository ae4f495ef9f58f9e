# Blocks refer to each other's evaluated attributes: target.NAME.ATTR and
# group.NAME.targets.
target "base" {
  context   = "base"
  args      = { VERSION = "1.2.3", CHANNEL = "stable" }
  tags      = ["base:1.2.3"]
  platforms = ["linux/amd64", "linux/arm64"]
}

target "app" {
  context   = "app"
  args      = { BASE_VERSION = target.base.args.VERSION }
  tags      = [for t in target.base.tags : replace(t, "base", "app")]
  platforms = target.base.platforms
  labels    = { "base.context" = target.base.context }
}

# A reference sees a target's own attributes only, not inherited ones
# (reference_inherited.hcl shows the error).
target "child" {
  inherits = ["base"]
  args     = { CHANNEL = "edge" }
}

target "reader" {
  args = {
    CHILD_CHANNEL = target.child.args.CHANNEL
  }
}

group "release" {
  targets = ["app", "child"]
}

# group.NAME.targets is the list as written.
target "lister" {
  args = {
    RELEASE = join(",", group.release.targets)
    COUNT   = length(group.release.targets)
  }
}

group "default" {
  targets = concat(group.release.targets, ["reader", "lister"])
}
