# Top-level attributes are values too. One that shares its name with a
# variable replaces the variable's default, and the environment still
# overrides it; a bare attribute ignores the environment
# (toplevel_attrs.args).
variable "TAG" { default = "from-default" }
TAG = "from-attribute"

variable "OTHER" { default = "other-default" }

BARE        = "bare-attribute"
DERIVED     = "${TAG}-${BARE}"
NUMBER_ATTR = 2 * 21
LIST_ATTR   = ["p", "q"]

target "default" {
  tags = LIST_ATTR
  args = {
    TAG     = TAG
    OTHER   = OTHER
    BARE    = BARE
    DERIVED = DERIVED
    NUMBER  = NUMBER_ATTR
  }
}
