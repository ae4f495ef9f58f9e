# semvercmp's grammar (Masterminds semver, as in bake): pre-releases, build
# metadata, wildcards, hyphen ranges, comma and space conjunctions, "||",
# "~", "^", "~>", a leading "v" or "=", leading zeros and short versions.
target "default" {
  args = {
    prerelease_vs_prerelease = semvercmp("1.2.3-beta.1", ">= 1.2.3-alpha")
    prerelease_vs_release    = semvercmp("1.2.3-beta.1", ">= 1.2.0")
    prerelease_opt_in        = semvercmp("1.0.0-rc.1", "~1.0.0-0")
    release_vs_prerelease    = semvercmp("1.0.0", ">= 1.0.0-0")
    build_metadata           = semvercmp("1.2.3+build.5", "= 1.2.3")
    wildcard_x               = semvercmp("1.2.3", "1.2.x")
    wildcard_star            = semvercmp("1.3.0", "1.2.*")
    hyphen_range             = semvercmp("2.0.0", "1.0.0 - 2.0.0")
    hyphen_range_short       = semvercmp("2.0.1", "1.0 - 2.0")
    and_comma                = semvercmp("1.5.0", ">= 1.0, < 2.0")
    and_space                = semvercmp("1.5.0", ">= 1.0 < 2.0")
    or                       = semvercmp("1.2.3", "1.2.3 || 2.x")
    not_equal                = semvercmp("1.5.0", "!= 1.5.0")
    tilde_in                 = semvercmp("1.2.9", "~1.2.3")
    tilde_out                = semvercmp("1.3.0", "~1.2.3")
    tilde_arrow              = semvercmp("1.2.3", "~> 1.2")
    caret_zero_in            = semvercmp("0.2.5", "^0.2.3")
    caret_zero_out           = semvercmp("0.3.0", "^0.2.3")
    v_in_constraint          = semvercmp("1.2.3", "=v1.2.3")
    leading_zero             = semvercmp("01.2.3", "1.2.3")
    short_version            = semvercmp("1", "1.0.0")
    four_parts               = can(semvercmp("1.2.3.4", ">1"))
    empty_constraint         = can(semvercmp("1.2.3", ""))
  }
}
