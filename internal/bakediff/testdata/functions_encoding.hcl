# base64, URL encoding and hashes of non-ASCII text (go-cty-funcs, as in
# bake), and uuidv5 with every namespace name and the UUID spellings the uuid
# library accepts.
target "default" {
  args = {
    base64encode_utf8   = base64encode("héllo wörld ✓ 🍕")
    base64decode_utf8   = base64decode("aMOpbGxvIHfDtnJsZCDinJMg8J+NlQ==")
    base64_roundtrip    = base64decode(base64encode("e\u0301 ß 日本"))
    base64encode_empty  = base64encode("")
    base64decode_empty  = base64decode("")
    urlencode_utf8      = urlencode("héllo wörld ✓ 🍕")
    urlencode_reserved  = urlencode("a b+c&d=e/f?g#h%i~j_k.l-m*n'o(p)q!r")
    urlencode_combining = urlencode("e\u0301")
    urlencode_empty     = urlencode("")
    md5_utf8            = md5("héllo")
    sha1_emoji          = sha1("🍕")
    sha256_empty        = sha256("")
    sha512_utf8         = sha512("ü")
    uuidv5_dns_empty    = uuidv5("dns", "")
    uuidv5_url          = uuidv5("url", "https://example.com/ü")
    uuidv5_oid          = uuidv5("oid", "1.3.6.1")
    uuidv5_x500         = uuidv5("x500", "cn=John Doe")
    uuidv5_upper        = uuidv5("6BA7B811-9DAD-11D1-80B4-00C04FD430C8", "x")
    uuidv5_braces       = uuidv5("{6ba7b811-9dad-11d1-80b4-00c04fd430c8}", "x")
    uuidv5_urn          = uuidv5("urn:uuid:6ba7b811-9dad-11d1-80b4-00c04fd430c8", "x")
    uuidv5_no_dashes    = uuidv5("6ba7b8119dad11d180b400c04fd430c8", "x")
    uuidv5_bad_ns       = can(uuidv5("DNS", "x"))
    base64decode_bad    = can(base64decode("aGk"))
    base64decode_binary = can(base64decode("/w=="))
  }
}
