# Typed variables with defaults, descriptions, validation, and values that
# come from the environment (see variables.args).
variable "TAG" {
  description = "image tag"
  default     = "dev"
}

variable "UNTYPED_NO_DEFAULT" {}

variable "TYPED_NO_DEFAULT" {
  type = string
}

variable "REGISTRY" {
  type    = string
  default = "registry.example"
  validation {
    condition     = REGISTRY != ""
    error_message = "REGISTRY must not be empty."
  }
  validation {
    condition     = !can(regex("/$", REGISTRY))
    error_message = "REGISTRY must not end with a slash."
  }
}

variable "REPLICAS" {
  type    = number
  default = 2
}

variable "DEBUG" {
  type    = bool
  default = false
}

variable "PLATFORMS" {
  type    = list(string)
  default = ["linux/amd64"]
}

variable "PORTS" {
  type    = set(number)
  default = [80]
}

variable "EXTRA_LABELS" {
  type    = map(string)
  default = { team = "core" }
}

variable "PAIR" {
  type    = tuple([string, number])
  default = ["a", 1]
}

variable "SETTINGS" {
  type = object({
    level = string
    tries = number
  })
  default = { level = "info", tries = 1 }
}

variable "ANY" {
  type    = any
  default = "anything"
}

# Inferred from the default: an override from the environment is parsed as a
# number and as a bool.
variable "INFERRED_NUMBER" {
  default = 1
}

variable "INFERRED_BOOL" {
  default = true
}

# Variables may use each other.
variable "IMAGE" {
  default = "${REGISTRY}/app:${TAG}"
}


target "default" {
  tags      = [IMAGE]
  platforms = PLATFORMS
  labels    = merge(EXTRA_LABELS, { debug = "${DEBUG}" })
  args = {
    TAG                = TAG
    UNTYPED_NO_DEFAULT = UNTYPED_NO_DEFAULT
    TYPED_IS_NULL      = TYPED_NO_DEFAULT == null ? "null" : TYPED_NO_DEFAULT
    REPLICAS           = REPLICAS
    REPLICAS_PLUS_ONE  = REPLICAS + 1
    DEBUG              = DEBUG
    PORTS              = join(",", [for p in PORTS : p])
    PAIR               = "${PAIR[0]}-${PAIR[1]}"
    LEVEL              = SETTINGS.level
    TRIES              = SETTINGS.tries
    ANY                = ANY
    INFERRED_NUMBER    = INFERRED_NUMBER * 2
    INFERRED_BOOL      = !INFERRED_BOOL
  }
}
