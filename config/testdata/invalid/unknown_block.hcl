targets "app" { # ERROR: Unknown block type
}
target "ok" {}
