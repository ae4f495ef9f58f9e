variable "A" {
  default = B
}
variable "B" {
  default = A # ERROR: Variable cycle
}
target "app" {}
