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
