package dest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/orch-build/orch/runner"
)

// TestAtomicRetryReplacesHeld: when a target is tried again, the export of
// the attempt that committed last is the one published, and the earlier
// one's staging is removed at once; committing the same export twice
// keeps it.
func TestAtomicRetryReplacesHeld(t *testing.T) {
	root := t.TempDir()
	tg := target(root, "app", nil, "type=local,dest=out")
	a := NewAtomic(openRun(t, tg))
	commit := func(content string) *Export {
		t.Helper()
		e, err := a.Stage(tg, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		build(t, e, nil, map[string]string{"f": content})
		if _, err := a.Commit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	first := commit("first")
	second := commit("second")
	if _, err := os.Stat(first.Writes[0].Dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the first attempt's staging %s is still there (%v)", first.Writes[0].Dir, err)
	}
	if _, err := a.Commit(context.Background(), second); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(second.Writes[0].Dir); err != nil {
		t.Fatalf("committing the held export again removed its staging: %v", err)
	}
	rep := &runner.Report{Outcomes: []runner.Outcome{{Name: "app", Status: runner.StatusBuilt, Result: &runner.Result{}}}}
	if err := a.Publish(context.Background(), rep); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "out", "f"))
	if err != nil || string(got) != "second" {
		t.Errorf("out/f = %q (%v), want the second attempt's", got, err)
	}
	assertNoStaging(t, root)
}
