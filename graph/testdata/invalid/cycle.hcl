# A cycle through a context and depends_on: reported once, at the first
# link from the alphabetically first target, by every command.
target "a" {
  contexts = { b = "target:b" } # ERROR: Dependency cycle
}
target "b" {
  depends_on = ["c"]
}
target "c" {
  contexts = { a = "target:a" }
}
