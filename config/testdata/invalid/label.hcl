target "my.app" {} # ERROR: Invalid name
target {} # ERROR: Missing name for target
