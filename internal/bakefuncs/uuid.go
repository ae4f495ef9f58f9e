package bakefuncs

import (
	"fmt"

	"github.com/google/uuid"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// uuidV4Func is uuidv4(): a random UUID, different on every call.
var uuidV4Func = function.New(&function.Spec{
	Description: "Generates and returns a Type-4 UUID in the standard hexadecimal string format.",
	Params:      []function.Parameter{},
	Type:        function.StaticReturnType(cty.String),
	Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
		id, err := uuid.NewRandom()
		if err != nil {
			return cty.UnknownVal(cty.String), fmt.Errorf("generate uuid: %w", err)
		}
		return cty.StringVal(id.String()), nil
	},
})

// uuidNamespaces are the namespace names uuidv5 accepts in place of a UUID.
var uuidNamespaces = map[string]uuid.UUID{
	"dns":  uuid.NameSpaceDNS,
	"url":  uuid.NameSpaceURL,
	"oid":  uuid.NameSpaceOID,
	"x500": uuid.NameSpaceX500,
}

// uuidV5Func is uuidv5(namespace, name): the name-based (SHA-1) UUID of name
// in namespace, which is one of dns, url, oid, x500 or a UUID.
var uuidV5Func = function.New(&function.Spec{
	Description: "Generates and returns a Type-5 UUID in the standard hexadecimal string format.",
	Params: []function.Parameter{
		{Name: "namespace", Type: cty.String},
		{Name: "name", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		ns, ok := uuidNamespaces[args[0].AsString()]
		if !ok {
			var err error
			if ns, err = uuid.Parse(args[0].AsString()); err != nil {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "uuidv5() doesn't support namespace %s (%v)", args[0].AsString(), err)
			}
		}
		return cty.StringVal(uuid.NewSHA1(ns, []byte(args[1].AsString())).String()), nil
	},
})
