function "noresult" { # ERROR: Missing result
  params = []
}
function "loop" {
  params = [x]
  result = loop(x) # ERROR: Function cycle
}
target "app" {}
function "strict" {
  params = []
  result = 1
  reslt = 2 # ERROR: Unknown function attribute
}
variable "V" {
  default = 1
  validation {
    condition = V > 0
    error_message = "positive"
    messsage = "typo" # ERROR: Unknown validation attribute
  }
}
