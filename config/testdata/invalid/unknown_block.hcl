targets "app" { # WARNING: Unknown block type
}
target "ok" {}
