target "app" {
  contexts = {
    base = "target:bsae" # ERROR: Unknown target
    me = "target:app" # ERROR: Target links to itself
  }
  depends_on = ["migrate"] # ERROR: Unknown target
}
target "base" {}
