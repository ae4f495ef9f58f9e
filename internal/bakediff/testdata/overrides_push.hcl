# --set push/load and clearing (overrides_push.args): push=true turns image
# outputs into pushes, an empty value clears a list, = replaces a list.
target "app" {
  tags      = ["registry.example/app:1", "registry.example/app:latest"]
  platforms = ["linux/amd64", "linux/arm64"]
  output    = ["type=image"]
  cache-to  = ["type=inline"]
}

target "local" {
  tags   = ["local:1"]
  output = ["type=docker"]
}

group "default" {
  targets = ["app", "local"]
}
