target "a" {
  dockerfile-inline = <<EOT
FROM scratch
ARG X=$${Y}
COPY %%{z} /
EOT
  annotations = ["index:k=$${v}"]
  extra-hosts = { h = "$${ip}" }
  context = "./x/../y/"
  contexts = { c1 = "docker-image://alpine", c2 = "./rel/", c3 = "" }
}
target "b" {
  context = "https://github.com/a/b.git#main"
  dockerfile = ""
}
target "c" {
  context = "target:a"
}
group "all1" { targets = ["a"] }
group "grp2" { targets = ["b", "c", "all1"] }
