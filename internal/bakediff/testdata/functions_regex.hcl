# Regular expressions (go-cty, as in bake): named and unnamed groups,
# unmatched optional groups (null), regexall with groups, flags, Unicode
# classes, replacement references, and replace, which takes its pattern
# literally even between slashes.
target "default" {
  args = {
    named_groups     = jsonencode(regex("(?P<user>\\w+)@(?P<host>[\\w.]+)", "mail me@example.com now"))
    unmatched_group  = jsonencode(regex("(\\d+)-(\\d+)?", "10-"))
    unmatched_named  = jsonencode(regex("(?P<a>x)(?P<b>y)?", "x"))
    all_groups       = jsonencode(regexall("(\\w)(\\d)", "a1 b2 c3"))
    all_named        = jsonencode(regexall("(?P<k>\\w+)=(?P<v>\\w*)", "a=1 b= c=3"))
    all_none         = jsonencode(regexall("z", "abc"))
    case_flag        = regex("(?i)HELLO", "say hello")
    unicode_class    = regex("\\p{Greek}+", "abc αβγ def")
    empty_match      = regex("^$", "")
    no_match         = can(regex("[0-9]+", "abc"))
    bad_pattern      = can(regex("a(b", "ab"))
    replace_refs     = regex_replace("2024-02-29", "(\\d+)-(\\d+)-(\\d+)", "$3/$2/$1")
    replace_dollar   = regex_replace("a.b.c", "\\.", "$$")
    replace_nonascii = regex_replace("héllo", "[^a-z]", "?")
    replace_slashes  = replace("a-b-c", "/(\\w)-/", "$1+")
    replace_plain    = replace("x/y/z", "/", "|")
  }
}
