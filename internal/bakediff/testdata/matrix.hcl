# matrix + name: each label becomes a group of its expanded targets.
variable "VERSIONS" { default = ["1.25", "1.26"] }

target "_base" {
  context = "go"
  args    = { CGO_ENABLED = "0" }
}

# One key whose values are strings, from a variable.
target "go" {
  inherits = ["_base"]
  name     = "go-${replace(v, ".", "-")}"
  matrix   = { v = VERSIONS }
  args     = { GO_VERSION = v }
  tags     = ["go:${v}"]
}

# One key whose values are objects.
target "svc" {
  name = "svc-${item.name}"
  matrix = {
    item = [
      { name = "api", port = 8080, platforms = ["linux/amd64"] },
      { name = "web", port = 3000, platforms = ["linux/amd64", "linux/arm64"] },
    ]
  }
  context   = item.name
  args      = { PORT = item.port }
  platforms = item.platforms
}

# A matrix whose name keeps the label for one value; the label still
# becomes a group.
target "tool" {
  name   = v == "main" ? "tool" : "tool-${v}"
  matrix = { v = ["main", "next"] }
  args   = { CHANNEL = v }
}

# Two keys: bake's expansion order depends on map iteration, so
# matrix.args compares the group's members as a set.
target "cross" {
  name   = "cross-${os}-${arch}"
  matrix = {
    os   = ["linux", "windows"]
    arch = ["amd64", "arm64"]
  }
  platforms = ["${os}/${arch}"]
}

group "default" {
  targets = ["go", "svc", "tool", "cross"]
}
