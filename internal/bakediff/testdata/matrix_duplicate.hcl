# Two matrix values that give the same name are an error.
target "default" {
  name   = "app-${lower(v)}"
  matrix = { v = ["a", "A"] }
}
