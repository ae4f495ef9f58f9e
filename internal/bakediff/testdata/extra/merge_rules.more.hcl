# Second file of merge_rules: same-name blocks merge into the first file's.
target "child" {
  tags        = ["child:2"]
  annotations = ["manifest:second=1"]
  args        = { SECOND = "1" }
}

target "other" {
  tags         = ["other:2"]
  annotations  = ["manifest:second=1"]
  args         = { SECOND = "1" }
  cache-from   = ["type=local,src=.cache/other"]
}
