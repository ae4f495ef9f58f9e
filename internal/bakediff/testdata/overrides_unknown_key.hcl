# An --set key bake does not know is an error (overrides_unknown_key.args).
target "default" {}
