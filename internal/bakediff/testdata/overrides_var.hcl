# --var sets variables; it wins over the environment and over a top-level
# attribute of the same name (overrides_var.args).
variable "TAG" { default = "dev" }
variable "COUNT" {
  type    = number
  default = 1
}
variable "LIST" {
  type    = list(string)
  default = ["a"]
}
variable "FROM_ENV" { default = "default" }
variable "NEW_VAR" {}

target "default" {
  tags = [for s in LIST : "app:${s}-${TAG}"]
  args = {
    TAG      = TAG
    COUNT    = COUNT + 1
    FROM_ENV = FROM_ENV
    NEW_VAR  = NEW_VAR
  }
}
