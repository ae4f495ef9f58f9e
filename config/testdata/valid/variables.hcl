variable "STR" { default = "s" }
variable "NUM" { default = 3 }
variable "BOOL" { default = true }
variable "LIST" {
  type = list(string)
  default = ["a", "b"]
}
variable "MAP" {
  type = map(string)
  default = { k = "v" }
}
variable "NODEF" {}
variable "TYPED_NODEF" { type = string }
variable "OBJ" {
  type = object({ a = string, b = number })
  default = { a = "x", b = 2 }
}
variable "V" {
  default = "1.2"
  validation {
    condition = V != ""
    error_message = "V empty"
  }
}
GLOBAL = "g-${STR}"
function "tag" {
  params = [name, ver]
  result = "${name}:${ver}"
}
function "all" {
  params = [first]
  variadic_params = rest
  result = join(",", concat([first], rest))
}
target "default" {
  args = {
    STR = STR
    NUM = NUM
    NUMP = NUM + 1
    BOOL = BOOL
    LIST = join(",", LIST)
    MAP = MAP.k
    NODEF = NODEF
    TN = TYPED_NODEF == null ? "null" : "set"
    OBJ = "${OBJ.a}-${OBJ.b}"
    G = GLOBAL
    T = tag("app", V)
    ALL = all("a", "b", "c")
    LOCAL = BAKE_LOCAL_PLATFORM
    CMD = BAKE_CMD_CONTEXT
  }
  tags = [for x in LIST : "img:${x}"]
}
