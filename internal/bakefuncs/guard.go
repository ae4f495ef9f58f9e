package bakefuncs

import (
	"errors"
	"fmt"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// guarded returns fn unchanged in every respect (parameters, types, results,
// errors) except one: a panic inside it becomes an ordinary error. go-cty
// already recovers such panics, but its error text carries the Go stack
// trace, which HCL would put in front of the user. Some library functions do
// panic on arguments bake also fails on (cidrsubnet shrinking a prefix below
// zero bits, in go-cidr), and orch answers those with a message, not a stack.
func guarded(fn function.Function) function.Function {
	return function.New(&function.Spec{
		Description: fn.Description(),
		Params:      fn.Params(),
		VarParam:    fn.VarParam(),
		Type: func(args []cty.Value) (cty.Type, error) {
			ty, err := fn.ReturnTypeForValues(args)
			return ty, withoutStack(err)
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v, err := fn.Call(args)
			return v, withoutStack(err)
		},
	})
}

// withoutStack replaces a recovered panic with an error naming only what
// the panic said; any other error passes through as it is, so argument
// errors keep pointing at their argument.
func withoutStack(err error) error {
	var p function.PanicError
	if errors.As(err, &p) {
		return fmt.Errorf("these arguments are outside what the function handles: %v", p.Value)
	}
	return err
}
