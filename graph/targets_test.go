package graph

import (
	"errors"
	"slices"
	"testing"
)

// TestTargets: the targets of a selection and those they link to, by name,
// also when the plan itself fails on a cycle; only a bad selection is an
// error.
func TestTargets(t *testing.T) {
	cfg := conf(targets(
		target("a", 1, dependsOn("b")),
		target("b", 10, dependsOn("a")),
		target("c", 20, contexts("base", "target:d")),
		target("d", 30),
		target("e", 40),
	))
	if _, err := New(cfg, []string{"a", "c"}); err == nil {
		t.Fatal("the plan of a cycle succeeded")
	}
	got, err := Targets(cfg, []string{"c", "a"})
	if err != nil {
		t.Fatal(err)
	}
	var gotNames []string
	for _, tg := range got {
		gotNames = append(gotNames, tg.Name)
	}
	if want := []string{"a", "b", "c", "d"}; !slices.Equal(gotNames, want) {
		t.Errorf("targets %v, want %v", gotNames, want)
	}
	var unknown *UnknownNameError
	if _, err := Targets(cfg, []string{"nope"}); !errors.As(err, &unknown) {
		t.Errorf("unknown name: error %v, want an UnknownNameError", err)
	}
}
