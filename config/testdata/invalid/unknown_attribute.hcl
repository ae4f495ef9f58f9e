# bake ignores what it does not know in target, group and variable blocks
# and unknown keys of secret and ssh objects: orch reads the file as bake
# does and warns. name and matrix in a group bake refuses, and so does orch.
target "app" {
  platfrom = ["linux/amd64"] # WARNING: Unknown target attribute
  cache-only = true # WARNING: Unknown target attribute
  tags = ["app"]
  secret = [{ id = "tok", env = "TOKEN", type = "env" }] # WARNING: Unknown key
  ssh = [{ id = "default", path = ["key"] }] # WARNING: Unknown key
  args { # WARNING: Unexpected block
    A = "1"
  }
}
group "g" {
  targets = ["app"]
  descripton = "typo" # WARNING: Unknown group attribute
}
group "renamed" {
  targets = ["app"]
  name = "other" # ERROR: Invalid group attribute
  matrix = { x = ["a"] } # ERROR: Invalid group attribute
}
