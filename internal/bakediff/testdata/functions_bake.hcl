# The functions bake writes itself, on their edges: paths are split on "/"
# on every OS (a backslash is an ordinary character), sanitize replaces each
# character (after HCL's normalisation to NFC) with one underscore, and
# indexof compares with HCL's equality across the elements of a tuple.
target "default" {
  args = {
    basename_trailing = basename("a/b/")
    basename_double   = basename("a//b")
    basename_windows  = basename("C:\\x\\y")
    dirname_trailing  = dirname("a/b/")
    dirname_double    = dirname("a//b")
    dirname_dot       = dirname("./a")
    dirname_windows   = dirname("C:\\x\\y")
    dirname_up        = dirname("../..")
    sanitize_letters  = sanitize("ÄÖÜ-ok_1")
    sanitize_space    = sanitize("a b\tc\nd")
    sanitize_combined = sanitize("e\u0301")
    indexof_number    = indexof([1, 2.0, "2"], 2)
    indexof_string    = indexof([true, "true"], "true")
    indexof_list      = indexof([[1], [1, 2]], [1, 2])
    indexof_object    = indexof([{ a = 1 }, { a = 2 }], { a = 2 })
    indexof_first     = indexof(["a", "a"], "a")
    indexof_missing   = can(indexof(["a"], "b"))
    indexof_empty     = can(indexof([], "b"))
    unix_fraction     = can(unixtimestampparse(1.5))
    formattimestamp_b = can(formattimestamp("X", true))
    semvercmp_bad     = can(semvercmp("x", ">1"))
  }
}
