package runner

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/graph"
)

// TestForecast places a plan on the test bed's pool shape: a level's
// targets spread over the native nodes, an arm64 parent's result crosses
// to its amd64 child's node, a split target goes to both natives, and a
// platform no node builds is the target's error.
func TestForecast(t *testing.T) {
	pool := mixedPool(4)
	pool.Split = func(n *graph.Node) bool { return n.Name == "multi" }
	plan := platformPlan("a", "b", "c", "base=linux/arm64", "multi=linux/amd64,linux/arm64", "odd=linux/s390x", "app<base=linux/amd64", "same<a")
	f := pool.Forecast(plan)
	var b strings.Builder
	if err := f.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := `TARGET  PLATFORM     NODE  NOTE
a       linux/amd64  bk1   -
b       linux/amd64  bk2   -
c       linux/amd64  bk1   -
base    linux/arm64  bk3   -
multi   linux/amd64  bk2   -
multi   linux/arm64  bk3   -
odd     -            -     no builder node can build linux/s390x; the pool builds linux/386, linux/amd64, linux/arm64
app     linux/amd64  bk1   gets base from bk3 as an OCI layout (context base)
same    linux/amd64  bk1   -
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
	if f.Default != "linux/amd64" {
		t.Errorf("default %q", f.Default)
	}

	doc := plan.Document()
	f.Annotate(doc)
	if len(doc.Builders) != 3 || doc.Builders[2].Name != "bk3" || doc.Builders[2].Native[0] != "linux/arm64" || doc.Builders[2].Limit != 4 {
		t.Errorf("builders %+v", doc.Builders)
	}
	byName := map[string]graph.DocumentTarget{}
	for _, dt := range doc.Targets {
		byName[dt.Name] = dt
	}
	if got := byName["odd"]; got.PlacementError == "" || got.Placement != nil {
		t.Errorf("odd: %+v", got)
	}
	wantApp := []graph.DocumentTransfer{{Platform: "linux/amd64", From: "bk3", To: "bk1", Via: "oci-layout"}}
	if diff := cmp.Diff(wantApp, byName["app"].Dependencies[0].Transfers); diff != "" {
		t.Errorf("app's transfers (-want +got):\n%s", diff)
	}
	if got := byName["same"].Dependencies[0].Transfers; got != nil {
		t.Errorf("same is on its parent's node, yet transfers %+v", got)
	}
	if diff := cmp.Diff([]graph.DocumentPlacement{{Platform: "linux/amd64", Node: "bk2"}, {Platform: "linux/arm64", Node: "bk3"}}, byName["multi"].Placement); diff != "" {
		t.Errorf("multi (-want +got):\n%s", diff)
	}
}

// TestForecastEmulated marks a platform built by emulation once no node
// has it native.
func TestForecastEmulated(t *testing.T) {
	pool := &Pool{Builders: []Builder{{Name: "x", Native: []string{"linux/amd64"}, Emulated: []string{"linux/arm64"}, Limit: 1}}}
	f := pool.Forecast(platformPlan("arm=linux/arm64"))
	if got := f.Targets[0]; !cmp.Equal(got.Emulated, []string{"linux/arm64"}) || got.Placement[0].Node != "x" {
		t.Errorf("forecast %+v", got)
	}
}
