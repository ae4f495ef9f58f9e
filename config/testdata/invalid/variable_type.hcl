variable "N" {
  type = number
  default = "abc" # ERROR: Invalid default value
}
variable "X" {
  type = lst(string) # ERROR: Invalid type specification
}
variable "Y" {
  defualt = 1 # WARNING: Unknown variable attribute
}
target "app" {}
