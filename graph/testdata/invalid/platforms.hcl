target "base" {
  platforms = ["linux/amd64", "linux/arm64"]
}
target "app" {
  platforms = ["linux/amd64", "linux/riscv64"]
  contexts = { base = "target:base" } # ERROR: Platforms not built by the linked target
}
