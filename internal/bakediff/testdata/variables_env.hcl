# Variable values from the environment, parsed by type (see
# variables_env.args): CSV for lists, sets and tuples, k:v pairs for maps,
# NAME_JSON for any type, and the type of the default when none is declared.
variable "TAG" { default = "dev" }
variable "NO_DEFAULT" {}
variable "NUM" {
  type    = number
  default = 1
}
variable "FLAG" {
  type    = bool
  default = false
}
variable "LIST" {
  type    = list(string)
  default = []
}
variable "NUMS" {
  type    = list(number)
  default = []
}
variable "SET" {
  type    = set(string)
  default = []
}
variable "TUP" {
  type    = tuple([string, bool])
  default = ["x", false]
}
variable "MAP" {
  type    = map(string)
  default = {}
}
variable "OBJ" {
  type    = object({ name = string, size = number })
  default = { name = "none", size = 0 }
}
variable "JSON_LIST" {
  type    = list(string)
  default = []
}
# With both NAME and NAME_JSON set, a typed variable takes NAME_JSON.
variable "BOTH" {
  type    = list(string)
  default = []
}
# An untyped variable ignores NAME_JSON when NAME is set.
variable "UNTYPED_BOTH" { default = "default" }
# An untyped variable with only NAME_JSON set takes its text as it is.
variable "UNTYPED_JSON_ONLY" { default = "default" }
variable "INFER_NUM" { default = 10 }
variable "INFER_BOOL" { default = true }
variable "NOT_SET" { default = "kept" }

target "default" {
  tags = [for s in LIST : "app:${s}"]
  args = {
    TAG          = TAG
    NO_DEFAULT   = NO_DEFAULT
    NUM          = NUM * 10
    FLAG         = FLAG ? "yes" : "no"
    NUMS         = jsonencode(NUMS)
    SET          = join("+", sort(SET))
    TUP          = "${TUP[0]}/${TUP[1]}"
    MAP          = jsonencode(MAP)
    OBJ          = "${OBJ.name}:${OBJ.size}"
    JSON_LIST    = join(",", JSON_LIST)
    BOTH         = join(",", BOTH)
    UNTYPED_BOTH = UNTYPED_BOTH
    UNTYPED_JSON = UNTYPED_JSON_ONLY
    INFER_NUM    = INFER_NUM + 1
    INFER_BOOL   = !INFER_BOOL
    NOT_SET      = NOT_SET
  }
}
