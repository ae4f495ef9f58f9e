# A target linked through target: that is also asked for (links_requested.args)
# keeps its own output; one only reached through the link becomes cacheonly.
target "base" {
  output = ["type=oci,dest=out/base.tar"]
}

target "middle" {
  contexts = { base = "target:base" }
  output   = ["type=oci,dest=out/middle.tar"]
}

target "app" {
  contexts = { middle = "target:middle" }
}
