target "app" {
  platfrom = ["linux/amd64"] # ERROR: Unknown target attribute
  tags = ["app"]
}
