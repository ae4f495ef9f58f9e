package buildkit

import (
	"strings"
	"testing"
	"time"

	"github.com/orch-build/orch/runner"
)

// TestTimelineOfABuild: the adapter marks where each attempt's export and
// push begin, after its steps ran, and hands over the daemon's steps with
// their times: a linked parent's and its child's, a failed step with its
// error.
func TestTimelineOfABuild(t *testing.T) {
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
target "base" {
  contexts = { busybox = BUSYBOX }
  output   = ["type=oci,tar=false,dest=out/base"]
}
target "app" {
  contexts   = { base = "target:base" }
  dockerfile = "app.Dockerfile"
  output     = ["type=oci,tar=false,dest=out/app"]
}
target "broken" {
  contexts   = { busybox = BUSYBOX }
  dockerfile = "broken.Dockerfile"
  output     = ["type=oci,tar=false,dest=out/broken"]
}`,
		"Dockerfile":        busyboxDockerfile + "RUN echo base-" + time.Now().Format(time.RFC3339Nano) + " > /base\n",
		"app.Dockerfile":    "FROM base\nRUN cat /base > /app\n",
		"broken.Dockerfile": busyboxDockerfile + "RUN echo about to fail && exit 3\n",
	})
	rep, err := p.build(buildOpts{runner: runner.Options{KeepGoing: true}})
	if err == nil {
		t.Fatal("the broken target built")
	}
	for _, name := range []string{"base", "app"} {
		o := outcome(t, rep, name)
		if o.Status != runner.StatusBuilt {
			t.Fatalf("%s: %s: %v", name, o.Status, o.Err)
		}
		a := o.Attempts[0]
		end := a.Started.Add(a.Duration)
		if len(a.Phases) != 2 || a.Phases[0].Phase != runner.PhaseExport || a.Phases[1].Phase != runner.PhasePush {
			t.Fatalf("%s: phases %+v, want export then push", name, a.Phases)
		}
		if ex, push := a.Phases[0].Started, a.Phases[1].Started; ex.Before(a.Started) || push.Before(ex) || end.Before(push) {
			t.Errorf("%s: attempt %v..%v, export at %v, push at %v: out of order", name, a.Started, end, ex, push)
		}
		run := findStep(a.Steps, "RUN ")
		if run == nil {
			t.Fatalf("%s: no RUN step among %+v", name, a.Steps)
		}
		// The daemon runs on this machine: its clock is orch's.
		if run.Started.Before(a.Started) || run.Completed.After(a.Phases[0].Started) {
			t.Errorf("%s: RUN step %v..%v lies outside the solve phase %v..%v", name, run.Started, run.Completed, a.Started, a.Phases[0].Started)
		}
		if export := findStep(a.Steps, "exporting to"); export == nil || export.Started.Before(a.Phases[0].Started) {
			t.Errorf("%s: the export step %+v does not come after the export mark %v", name, export, a.Phases[0].Started)
		}
	}
	broken := outcome(t, rep, "broken").Attempts[0]
	if len(broken.Phases) != 0 {
		t.Errorf("broken: phases %+v, want none: the solve failed", broken.Phases)
	}
	if run := findStep(broken.Steps, "exit 3"); run == nil || run.Error == "" {
		t.Errorf("broken: the failed step %+v has no error", run)
	}
}

func findStep(steps []runner.Step, part string) *runner.Step {
	for i := range steps {
		if strings.Contains(steps[i].Name, part) {
			return &steps[i]
		}
	}
	return nil
}
