target "a" {
  inherits = ["b"] # ERROR: Inherits cycle
}
target "b" {
  inherits = ["a"]
}
