# bake v0.38's resources and policy: merged through inherits (resources key
# by key, policies appended), overridden with --set, referenced and printed.
target "_limits" {
  resources = { memory = "512m", cpu-shares = 512 }
  policy    = ["filename=base.rego"]
}
target "app" {
  inherits  = ["_limits"]
  resources = { cpu-quota = 50000, cpuset-cpus = "0-1", memory-swap = 1024 }
  policy = [
    "filename=app.rego,strict=true,log-level=WARN",
    { filename = "extra.rego", reset = true, disabled = "false", log-level = "" },
  ]
}
target "copy" {
  resources = target.app.resources
  policy    = target.app.policy
}
target "reset" {
  inherits = ["_limits"]
}
target "plain" {}
