# User-defined functions: params, variadic_params, calls between functions,
# functions reading variables, and functions in variable defaults.
variable "REGISTRY" { default = "registry.example" }
variable "IMAGE" { default = image("base", "1.0") }

function "image" {
  params = [name, version]
  result = "${REGISTRY}/${name}:${version}"
}

function "tags" {
  params          = [name]
  variadic_params = versions
  result          = [for v in versions : image(name, v)]
}

function "shout" {
  params = [s]
  result = "${upper(s)}!"
}

function "nothing" {
  params = []
  result = "constant"
}

function "platforms_for" {
  params = [arches]
  result = formatlist("linux/%s", arches)
}

target "default" {
  tags      = tags("app", "1.0", "1.1", "latest")
  platforms = platforms_for(["amd64", "arm64"])
  args = {
    IMAGE    = IMAGE
    SHOUT    = shout("hello")
    NOTHING  = nothing()
    NO_EXTRA = length(tags("x"))
  }
}
