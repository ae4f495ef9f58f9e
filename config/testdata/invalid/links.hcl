target "app" {
  contexts = {
    base = "target:bsae" # ERROR: Unknown target in contexts
    me = "target:app" # ERROR: Target links to itself
  }
  depends_on = ["migrate"] # ERROR: Unknown target in depends_on
}
target "base" {}
