variable "PORT" {
  default = 0
  validation {
    condition = PORT > 0 # ERROR: Validation failed
    error_message = "PORT must be positive."
  }
}
target "app" {}
