# The built-in variables; the environment can not override them
# (builtins.args).
target "default" {
  args = {
    CMD_CONTEXT    = BAKE_CMD_CONTEXT
    LOCAL_PLATFORM = BAKE_LOCAL_PLATFORM
  }
  platforms = [BAKE_LOCAL_PLATFORM]
}
