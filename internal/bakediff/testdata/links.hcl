# contexts with target: links. Asking for "app" alone (links.args) pulls in
# the targets it links to; those only reached through links print with a
# cacheonly output, while a linked target that was asked for keeps its own.
target "base" {
  dockerfile-inline = "FROM scratch\n"
  output            = ["type=oci,dest=out/base.tar"]
}

target "tools" {
  contexts = { base = "target:base" }
  dockerfile-inline = "FROM base\n"
}

target "app" {
  contexts = {
    base  = "target:base"
    tools = "target:tools"
    src   = "./src"
    alpine = "docker-image://alpine:3"
  }
  platforms = ["linux/amd64", "linux/arm64"]
}

target "standalone" {
  contexts = { base = "target:base" }
  output   = ["type=local,dest=out/standalone"]
}
