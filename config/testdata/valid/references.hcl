target "base" {
  tags = ["base:1"]
  args = { X = "x" }
  platforms = ["linux/amd64"]
  output = ["type=docker"]
}
target "a" {
  tags = concat(target.base.tags, ["a:1"])
  args = merge(target.base.args, { Y = "y" }, { P = join(",", target.base.platforms) })
  labels = { N = target.base.name, O = length(target.base.output), C = target.b.context == null ? "nullctx" : "set" }
  description = "from ${target.b.dockerfile}"
}
target "b" {
  dockerfile = "B.Dockerfile"
  args = { T = target.a.tags[0] }
}
group "g" {
  targets = ["a", "b"]
  description = "group g"
}
group "default" {
  targets = concat(group.g.targets, ["base"])
}
