# The second file of the multifile case: redefines a variable's default,
# extends a group and overrides parts of a target.
variable "TAG" { default = "override" }

group "default" {
  targets = ["worker"]
}

target "app" {
  args      = { FROM = "second" }
  platforms = ["linux/arm64", "linux/riscv64"]
  labels    = { "second" = "2" }
}

target "tool" {
  inherits = ["app"]
  context  = "tool"
}
