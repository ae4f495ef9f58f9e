# The first of three files (multifile.args adds the others): blocks of the
# same name merge across files in order, attribute by attribute.
variable "TAG" { default = "base" }
variable "ONLY_FIRST" { default = "first" }

group "default" {
  targets = ["app"]
}

target "app" {
  context = "app"
  args    = { FROM = "first", KEEP = "first" }
  tags    = ["app:${TAG}"]
  labels  = { "first" = "1" }
  platforms = ["linux/amd64"]
}

target "worker" {
  context = "worker"
  args    = { ONLY_FIRST = ONLY_FIRST }
}
