package config

import (
	"github.com/zclconf/go-cty/cty/function"
	ctystdlib "github.com/zclconf/go-cty/cty/function/stdlib"
)

// stdlib is a stand-in until internal/bakefuncs is committed.
func stdlib() map[string]function.Function {
	return map[string]function.Function{
		"upper":   ctystdlib.UpperFunc,
		"lower":   ctystdlib.LowerFunc,
		"join":    ctystdlib.JoinFunc,
		"concat":  ctystdlib.ConcatFunc,
		"merge":   ctystdlib.MergeFunc,
		"format":  ctystdlib.FormatFunc,
		"replace": ctystdlib.ReplaceFunc,
		"length":  ctystdlib.LengthFunc,
		"split":   ctystdlib.SplitFunc,
	}
}
