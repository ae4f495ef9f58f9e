group "c1" {
  targets = ["c2"] # ERROR: Group cycle
}
group "c2" {
  targets = ["c1", "app"]
}
target "app" {}
