target "app" {
  tags = ["a"
} # ERROR: Missing item separator
