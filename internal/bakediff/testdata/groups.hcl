# Groups of groups, targets listed twice, and asking for a mix of groups and
# targets (groups.args): the synthetic default group lists what was asked for.
target "a" {}
target "b" {}
target "c" {}
target "d" {}

group "inner" {
  targets = ["a", "b"]
}

group "outer" {
  targets = ["inner", "c", "a"]
}

group "everything" {
  targets = ["outer", "d", "inner"]
}
