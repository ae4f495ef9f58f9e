target "dup" {
  matrix = { v = ["a", "a"] }
  name = "dup-${v}" # ERROR: Duplicate target name
}
target "noname" {
  matrix = { v = ["a", "b"] } # ERROR: Matrix without name
}
target "badname" {
  matrix = { v = ["a.b"] }
  name = "x-${v}" # ERROR: Invalid name
}
target "nomatrix" {
  name = "x" # ERROR: Name without matrix
}
target "notmap" {
  matrix = ["a"] # ERROR: Invalid matrix
  name = "y"
}
target "huge" {
  matrix = { a = range(1000), b = range(1000) } # ERROR: Matrix too large
  name = "h-${a}-${b}"
}
