# Literal ${ and %{ survive evaluation as ${ and %{, and print writes them
# escaped again ($${, %%{) in args, labels, annotations and
# dockerfile-inline, so the printed file evaluates back to the same values.
variable "NAME" { default = "world" }

target "default" {
  dockerfile-inline = <<-EOT
    FROM scratch
    ARG GREETING
    ENV MESSAGE="hello $${GREETING} ${NAME}"
    LABEL pct="%%{not a directive}"
  EOT
  args = {
    LITERAL   = "$${HOME}/bin"
    EVALUATED = "${NAME}"
    DIRECTIVE = "%{ if NAME == "world" }yes%{ else }no%{ endif }"
    PERCENT   = "100%% and %%{x}"
    DOLLAR    = "$$ and $"
  }
  labels = {
    "literal" = "$${LABEL}"
  }
  annotations = ["manifest:note=$${NOTE}"]
  # Tags are not escaped by print.
  tags = ["app:$${TAG}"]
}
