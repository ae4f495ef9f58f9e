target "app" {
  platforms = "linux/amd64" # ERROR: Invalid value for "platforms"
  args = ["a"] # ERROR: Invalid value for "args"
  pull = "maybe" # ERROR: Invalid value for "pull"
  output = "type=docker" # ERROR: Invalid value for "output"
  cache-from = [{ ref = "x" }] # ERROR: Invalid value for "cache-from"
}
