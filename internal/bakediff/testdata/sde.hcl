# SOURCE_DATE_EPOCH from the environment (sde.args) is added to the args of
# every target that does not set it, including targets without args.
target "plain" {}

target "with-args" {
  args = { A = "1" }
}

target "own-epoch" {
  args = { SOURCE_DATE_EPOCH = "0" }
}

group "default" {
  targets = ["plain", "with-args", "own-epoch"]
}
