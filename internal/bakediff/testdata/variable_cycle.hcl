# Variables that depend on each other in a cycle are an error.
variable "A" { default = "${B}" }
variable "B" { default = "${A}" }

target "default" {
  args = { A = A }
}
