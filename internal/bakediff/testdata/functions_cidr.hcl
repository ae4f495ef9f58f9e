# The cidr functions (go-cty-funcs over go-cidr, as in bake) on IPv6,
# IPv4-mapped IPv6 and the odd arguments bake accepts: a negative host
# number, a prefix shortened by negative new bits, a negative subnet number
# after shortening (a garbled address) and a prefix shortened below zero bits
# ("<nil>"). cidrsubnets refuses an IPv4-mapped IPv6 prefix. An argument the
# library crashes on is an error in both tools, which can() sees as false.
target "default" {
  args = {
    host_v6            = cidrhost("2001:db8::/32", 65536)
    host_v6_negative   = cidrhost("2001:db8::/120", -1)
    host_v6_big        = cidrhost("fd00::/64", 4294967295)
    host_last          = cidrhost("10.0.0.0/8", -16777216)
    host_mapped        = cidrhost("::ffff:10.0.0.0/104", 5)
    host_v4_in_v6_form = cidrhost("::ffff:192.168.0.0/120", 7)
    netmask_v6         = cidrnetmask("2001:db8::/47")
    netmask_v6_zero    = cidrnetmask("::/0")
    netmask_mapped     = cidrnetmask("::ffff:10.0.0.0/104")
    netmask_host       = cidrnetmask("10.1.2.3/32")
    subnet_v6          = cidrsubnet("2001:db8::/32", 32, 65535)
    subnet_v6_nibble   = cidrsubnet("fd00:1234::/48", 4, 15)
    subnet_v6_host_set = cidrsubnet("2001:db8::1/64", 8, 1)
    subnet_shrink      = cidrsubnet("10.0.0.0/16", -2, 3)
    subnet_shrink_wrap = cidrsubnet("10.0.0.0/16", -2, 300)
    subnet_shrink_neg  = cidrsubnet("10.0.0.0/16", -1, -1)
    subnet_shrink_all  = cidrsubnet("10.0.0.0/16", -16, 0)
    subnet_below_zero  = cidrsubnet("10.0.0.0/16", -17, 0)
    subnets_v6         = jsonencode(cidrsubnets("2001:db8::/56", 8, 4, 8, 16))
    subnets_v6_align   = jsonencode(cidrsubnets("fd00::/64", 16, 8, 16))
    subnets_mixed      = jsonencode(cidrsubnets("10.0.0.0/24", 2, 1))
    subnets_mapped     = can(cidrsubnets("::ffff:10.0.0.0/104", 8, 8))
    crash_is_error     = can(cidrsubnet("10.0.0.0/8", -9, 1))
    crash_fallback     = try(cidrsubnet("10.0.0.0/8", -8, 1), "fallback")
  }
}
