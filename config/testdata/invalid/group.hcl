group "g" { # ERROR: Missing targets
  description = "no targets"
}
target "app" {}
