variable "VERS" { default = ["1.0", "2.0"] }
target "m" {
  matrix = {
    item = [{ name = "a", v = "1" }, { name = "b", v = "2" }]
  }
  name = "m-${item.name}"
  args = { V = item.v }
  tags = ["m:${item.name}-${item.v}"]
}
target "one" {
  matrix = { x = ["only"] }
  args = { X = x }
}
target "vers" {
  matrix = { ver = VERS }
  name = "vers-${replace(ver, ".", "_")}"
  args = { VER = ver }
}
group "default" { targets = ["m", "one", "vers"] }
