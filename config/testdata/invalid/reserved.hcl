target = "x" # ERROR: Reserved name
variable "BAKE_CMD_CONTEXT" { # ERROR: Reserved name
  default = "x"
}
target "app" {}
