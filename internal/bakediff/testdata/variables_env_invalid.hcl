# An environment value that does not parse as the variable's type is an
# error (variables_env_invalid.args).
variable "PORT" {
  type    = number
  default = 80
}

target "default" {
  args = { PORT = PORT }
}
