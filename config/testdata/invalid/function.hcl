function "noresult" { # ERROR: Missing result
  params = []
}
function "loop" {
  params = [x]
  result = loop(x) # ERROR: Function cycle
}
target "app" {}
