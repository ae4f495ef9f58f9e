# Time functions: go-cty's timeadd and formatdate on offsets, fractions and
# every unit and verb, and bake's own formattimestamp and unixtimestampparse
# on zoned strings, negative and very large unix times, leap days and ISO
# weeks that belong to another year.
target "default" {
  args = {
    timeadd_leap          = timeadd("2024-02-28T23:30:00Z", "1h")
    timeadd_back          = timeadd("2024-03-01T00:00:00Z", "-24h")
    timeadd_offset        = timeadd("2024-01-01T00:00:00+05:30", "90m")
    timeadd_negative_zone = timeadd("2024-01-01T00:00:00-08:00", "-1h")
    timeadd_fraction      = timeadd("2024-01-01T00:00:00.5Z", "1.5s")
    timeadd_units         = timeadd("2024-01-01T00:00:00Z", "1h2m3s4ms5us6ns")
    timeadd_micro         = timeadd("2024-01-01T00:00:00Z", "1µs")
    timeadd_zero          = timeadd("2024-01-01T00:00:00Z", "0")
    timeadd_days          = can(timeadd("2024-01-01T00:00:00Z", "1d"))
    formatdate_words      = formatdate("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "2024-02-29T10:05:09Z")
    formatdate_offset     = formatdate("YYYY-MM-DD'T'HH:mm:ssZZZZZ", "2024-02-29T10:05:09-07:30")
    formatdate_zones      = formatdate("ZZZZ Z", "2024-02-29T10:05:09+05:45")
    formatdate_quotes     = formatdate("'quoted ''x''' YYYY", "2024-02-29T10:05:09Z")
    formatdate_short      = formatdate("EEE MMMM D h:m:s AA aa", "2024-02-29T13:05:09+01:00")
    formatdate_bad_verb   = can(formatdate("A", "2024-02-29T13:05:09Z"))
    formattimestamp_zoned = formattimestamp("YYYY-MM-DD hh:mm ZZZZ", "2024-01-01T00:00:00+05:30")
    formattimestamp_x_utc = formattimestamp("X", "2024-01-01T00:00:00+05:30")
    formattimestamp_epoch = formattimestamp("X", 0)
    formattimestamp_neg   = formattimestamp("X", -86400)
    formattimestamp_max   = formattimestamp("YYYY-MM-DD", 253402300799)
    formattimestamp_x_big = formattimestamp("X", 253402300800)
    formattimestamp_big   = can(formattimestamp("YYYY-MM-DD", 253402300800))
    formattimestamp_day   = formattimestamp("EEEE", 1709251200)
    unix_new_year         = jsonencode(unixtimestampparse(1704067200))
    unix_iso_next_year    = jsonencode(unixtimestampparse(1735603200))
    unix_leap_day         = jsonencode(unixtimestampparse(951782400))
    unix_year_one         = jsonencode(unixtimestampparse(-62135596800))
  }
}
