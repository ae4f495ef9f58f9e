target "base" {
  tags = ["b"]
}
target "app" {
  tags = target.bse.tags # ERROR: Unknown target
  args = { X = target.base.tgs[0] } # ERROR: Unknown target attribute
}
target "self" {
  tags = target.self.tags # ERROR: Reference cycle
}
variable "V" {
  default = target.base.tags # ERROR: Invalid reference
}
top = target.nope.tags # ERROR: Unknown target
