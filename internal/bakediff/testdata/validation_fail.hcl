# A failing validation rejects the file: here the environment sets PORT out
# of range (validation_fail.args).
variable "PORT" {
  type    = number
  default = 8080
  validation {
    condition     = PORT > 1024
    error_message = "PORT must be above 1024."
  }
}

target "default" {
  args = { PORT = PORT }
}
