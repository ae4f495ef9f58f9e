# bake rejects a reference to an attribute a target only inherits.
target "base" {
  args = { VERSION = "1.2.3" }
}

target "child" {
  inherits = ["base"]
}

target "default" {
  args = { V = target.child.args.VERSION }
}
