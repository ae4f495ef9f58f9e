target "base" {}
target "app" {
  inherits = ["bsae"] # ERROR: Unknown target in inherits
}
