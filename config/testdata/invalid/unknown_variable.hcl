variable "TAG" { default = "1" }
target "app" {
  tags = ["app:${TAGG}"] # ERROR: Unknown variable
}
