package bakefuncs

import (
	"errors"
	"math/big"
	"strconv"
	"time"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// This file holds bake's time functions that no library has: go-cty's stdlib
// offers formatdate and timeadd (used as they are) but nothing that reads the
// clock, takes a unix timestamp, or splits a time into its parts. bake writes
// these three itself, so they are written here.

// now is the clock timestamp() reads; tests replace it.
var now = time.Now

// timestampFunc is timestamp(): the current UTC time in RFC 3339, to the
// second. Terraform's timestamp() is the same, but it lives in Terraform, not
// in an importable library.
var timestampFunc = function.New(&function.Spec{
	Description: "Returns a string representation of the current date and time.",
	Params:      []function.Parameter{},
	Type:        function.StaticReturnType(cty.String),
	Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
		return cty.StringVal(now().UTC().Format(time.RFC3339)), nil
	},
})

// unixFormat is the format string for which formattimestamp returns the unix
// time in seconds instead of using formatdate's verbs.
const unixFormat = "X"

// formatTimestampFunc is formattimestamp(format, time): go-cty's formatdate,
// which does the formatting, extended to accept a unix timestamp number as
// well as an RFC 3339 string, and the format "X" for unix seconds. A string
// is handed to formatdate as written, so its UTC offset is kept.
var formatTimestampFunc = function.New(&function.Spec{
	Description: `Formats a timestamp string in RFC 3339 syntax or a unix timestamp integer into another timestamp in some other machine-oriented time syntax, as described in the format string. The special format string "X" returns the unix timestamp in seconds.`,
	Params: []function.Parameter{
		{Name: "format", Type: cty.String},
		{Name: "time", Type: cty.DynamicPseudoType},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		format, when := args[0].AsString(), args[1]
		var t time.Time // when as a time; read only where it is needed
		switch when.Type() {
		case cty.Number:
			var err error
			if t, err = unixTime(when); err != nil {
				return cty.DynamicVal, function.NewArgError(1, err)
			}
			// formatdate reads RFC 3339; a unix time is written in UTC.
			when = cty.StringVal(t.Format(time.RFC3339))
		case cty.String:
			if format != unixFormat {
				break // formatdate parses the string and reports its errors
			}
			var err error
			if t, err = time.Parse(time.RFC3339, when.AsString()); err != nil {
				return cty.DynamicVal, function.NewArgErrorf(1, "timestamp string must be RFC3339")
			}
		default:
			return cty.DynamicVal, function.NewArgErrorf(1, "must be a string timestamp or a unix timestamp number")
		}
		if format == unixFormat {
			return cty.StringVal(strconv.FormatInt(t.Unix(), 10)), nil
		}
		return stdlib.FormatDateFunc.Call([]cty.Value{args[0], when})
	},
})

// unixTimestampParseFunc is unixtimestampparse(unix_timestamp): the parts of a
// unix time in UTC as an object, for building tags and labels from them. It
// mirrors the Terraform time provider's unix_timestamp_parse, which is a
// provider function and not an importable library.
var unixTimestampParseFunc = function.New(&function.Spec{
	Description: "Given a unix timestamp integer, will parse and return an object representation of that date and time. A unix timestamp is the number of seconds elapsed since January 1, 1970 UTC.",
	Params: []function.Parameter{{
		Name:        "unix_timestamp",
		Description: "Unix Timestamp integer to parse",
		Type:        cty.Number,
	}},
	Type: function.StaticReturnType(cty.Object(map[string]cty.Type{
		"year":         cty.Number,
		"year_day":     cty.Number,
		"day":          cty.Number,
		"month":        cty.Number,
		"month_name":   cty.String,
		"weekday":      cty.Number,
		"weekday_name": cty.String,
		"hour":         cty.Number,
		"minute":       cty.Number,
		"second":       cty.Number,
		"rfc3339":      cty.String,
		"iso_year":     cty.Number,
		"iso_week":     cty.Number,
	})),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		t, err := unixTime(args[0])
		if err != nil {
			return cty.DynamicVal, function.NewArgError(0, err)
		}
		isoYear, isoWeek := t.ISOWeek()
		num := func(n int) cty.Value { return cty.NumberIntVal(int64(n)) }
		return cty.ObjectVal(map[string]cty.Value{
			"year":         num(t.Year()),
			"year_day":     num(t.YearDay()),
			"day":          num(t.Day()),
			"month":        num(int(t.Month())),
			"month_name":   cty.StringVal(t.Month().String()),
			"weekday":      num(int(t.Weekday())),
			"weekday_name": cty.StringVal(t.Weekday().String()),
			"hour":         num(t.Hour()),
			"minute":       num(t.Minute()),
			"second":       num(t.Second()),
			"rfc3339":      cty.StringVal(t.Format(time.RFC3339)),
			"iso_year":     num(isoYear),
			"iso_week":     num(isoWeek),
		}), nil
	},
})

// unixTime turns a whole number of seconds since the epoch into a UTC time.
func unixTime(v cty.Value) (time.Time, error) {
	secs, acc := v.AsBigFloat().Int64()
	if acc != big.Exact {
		return time.Time{}, errors.New("unix timestamp must be an integer")
	}
	return time.Unix(secs, 0).UTC(), nil
}
