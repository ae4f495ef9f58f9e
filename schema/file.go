// Package schema holds the JSON Schemas of orch's formats. This file
// generates the schema of the definition file's JSON form (target, group,
// variable and function blocks) from config's attribute tables, the same
// tables the loader decodes with, so the schema cannot drift from what
// orch accepts; a test keeps the committed orch.schema.json current. It
// does not validate files: the loader does, with better messages.
package schema

import (
	"encoding/json"

	"github.com/orch-build/orch/config"
)

// FileFormatID is the $id of the definition file schema.
const FileFormatID = "https://github.com/orch-build/orch/schema/orch.schema.json"

// obj is a JSON Schema node.
type obj = map[string]any

// FileFormat returns the JSON Schema (draft 2020-12) of an orch or
// docker-bake definition file in HCL JSON syntax, indented, with a final
// newline.
func FileFormat() ([]byte, error) {
	s := obj{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         FileFormatID,
		"title":       "orch definition file (HCL JSON syntax)",
		"description": "Targets, groups, variables and functions of an orch.json or docker-bake.json file. Any other top-level property is a top-level attribute: a value variables can be set from.",
		"type":        "object",
		"properties": obj{
			"target":   blocks("target", "Build targets by name."),
			"group":    blocks("group", "Groups of targets and groups by name."),
			"variable": blocks("variable", "Variables by name; --var and the environment override their defaults."),
			"function": blocks("function", "User functions by name, callable from any expression."),
		},
		"$defs": obj{
			"target":     body(config.TargetAttributes, "A build target."),
			"group":      body(config.GroupAttributes, "A group of targets.", "targets"),
			"variable":   variable(),
			"function":   body(config.FunctionAttributes, "A user function.", "params", "result"),
			"validation": body(config.ValidationAttributes, "A rule the variable's value must satisfy.", "condition", "error_message"),
			"template":   obj{"type": "string", "description": "A string template; \"${...}\" may yield any type."},
		},
	}
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// blocks is the schema of a block type: an object of named bodies; HCL
// JSON also allows a list of bodies per name.
func blocks(def, doc string) obj {
	ref := obj{"$ref": "#/$defs/" + def}
	return obj{
		"description":          doc,
		"type":                 "object",
		"additionalProperties": obj{"anyOf": []any{ref, obj{"type": "array", "items": ref}}},
	}
}

// body is the schema of a block body made of attrs.
func body(attrs []config.Attribute, doc string, required ...string) obj {
	props := obj{}
	for _, a := range attrs {
		p := kind(a)
		p["description"] = a.Doc
		props[a.Name] = p
	}
	s := obj{"description": doc, "type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func variable() obj {
	s := body(config.VariableAttributes, "A variable.")
	props := s["properties"].(obj)
	props["type"] = obj{"type": "string", "description": "Type constraint as an expression string, e.g. \"list(string)\"."}
	v := obj{"$ref": "#/$defs/validation"}
	props["validation"] = obj{"description": "Validation rules.", "anyOf": []any{v, obj{"type": "array", "items": v}}}
	return s
}

// orTemplate accepts a value of the given schema or a template string,
// since in HCL JSON any string may interpolate a value of another type.
func orTemplate(s obj) obj {
	return obj{"anyOf": []any{s, obj{"$ref": "#/$defs/template"}}}
}

// kind maps an attribute kind to its schema.
func kind(a config.Attribute) obj {
	str := obj{"type": "string"}
	switch a.Kind {
	case config.KindString:
		return obj{"type": []string{"string", "number", "boolean"}}
	case config.KindBool:
		return orTemplate(obj{"type": "boolean"})
	case config.KindStringList:
		return orTemplate(obj{"type": "array", "items": obj{"type": []string{"string", "number", "boolean"}}})
	case config.KindStringMap:
		return orTemplate(obj{"type": "object", "additionalProperties": str})
	case config.KindNullableStringMap:
		return orTemplate(obj{"type": "object", "additionalProperties": obj{"type": []string{"string", "number", "boolean", "null"}}})
	case config.KindObject:
		props := obj{}
		for _, k := range a.EntryKeys {
			props[k] = obj{"type": []string{"string", "number"}}
		}
		return orTemplate(obj{"type": "object", "properties": props, "additionalProperties": false})
	case config.KindEntryList:
		props := obj{}
		for _, k := range a.EntryKeys {
			props[k] = obj{"type": []string{"string", "boolean"}}
			if k == "paths" {
				props[k] = obj{"type": "array", "items": str}
			}
		}
		entry := obj{"type": "object", "properties": props, "additionalProperties": obj{"type": []string{"string", "number", "boolean"}}}
		return orTemplate(obj{"type": "array", "items": obj{"anyOf": []any{str, entry}}})
	}
	return obj{}
}
