# An --set pattern that matches no target is an error, and group names are
# not patterns (overrides_no_match.args).
target "app" {}
group "default" {
  targets = ["app"]
}
