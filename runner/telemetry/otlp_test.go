package telemetry_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	collector "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/internal/testbed"
	"github.com/orch-build/orch/runner/build"
)

func TestMain(m *testing.M) { os.Exit(testbed.Main(m)) }

// receiver is an in-process OTLP/gRPC collector: it keeps every span it
// is sent with its service's name and wakes waiters after each export.
type receiver struct {
	collector.UnimplementedTraceServiceServer
	addr string

	mu    sync.Mutex
	spans []span
	raw   bytes.Buffer // every request as JSON, for the secret check
	more  chan struct{}
}

// span is one received span, IDs in hex.
type span struct {
	service, name, id, parent, trace string
	start, end                       uint64
	attrs                            map[string]string
}

func startReceiver(t *testing.T) *receiver {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{addr: l.Addr().String(), more: make(chan struct{}, 1)}
	srv := grpc.NewServer()
	collector.RegisterTraceServiceServer(srv, r)
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	return r
}

func (r *receiver) Export(_ context.Context, req *collector.ExportTraceServiceRequest) (*collector.ExportTraceServiceResponse, error) {
	raw, _ := protojson.Marshal(req)
	r.mu.Lock()
	r.raw.Write(raw)
	for _, rs := range req.GetResourceSpans() {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.spans = append(r.spans, toSpan(service, s))
			}
		}
	}
	r.mu.Unlock()
	select {
	case r.more <- struct{}{}:
	default:
	}
	return &collector.ExportTraceServiceResponse{}, nil
}

func toSpan(service string, s *tracepb.Span) span {
	out := span{
		service: service, name: s.GetName(), id: hex.EncodeToString(s.GetSpanId()),
		parent: hex.EncodeToString(s.GetParentSpanId()), trace: hex.EncodeToString(s.GetTraceId()),
		start: s.GetStartTimeUnixNano(), end: s.GetEndTimeUnixNano(), attrs: map[string]string{},
	}
	for _, kv := range s.GetAttributes() {
		v := kv.GetValue()
		switch {
		case v.GetStringValue() != "":
			out.attrs[kv.GetKey()] = v.GetStringValue()
		default:
			out.attrs[kv.GetKey()] = fmt.Sprint(v.GetIntValue())
		}
	}
	return out
}

// waitFor returns the spans once done accepts them, failing the test if
// no export satisfies it within a minute.
func (r *receiver) waitFor(t *testing.T, done func([]span) bool) []span {
	t.Helper()
	deadline := time.NewTimer(time.Minute)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		spans := append([]span(nil), r.spans...)
		r.mu.Unlock()
		if done(spans) {
			return spans
		}
		select {
		case <-r.more:
		case <-deadline.C:
			t.Fatalf("after a minute the collector has %d spans, not the ones awaited", len(spans))
		}
	}
}

// TestOTLPSpansJoinBuildKit: a run with OTEL_EXPORTER_OTLP_ENDPOINT set
// sends its spans to the collector: the run, each target with its
// attempt, phases and steps; and the test bed's buildkitd, told by the
// same variables to export its own, sends spans that hang under the
// attempt that asked for them, in orch's trace. No span holds the secret
// the build used.
func TestOTLPSpansJoinBuildKit(t *testing.T) {
	rcv := startReceiver(t)
	endpoint := "http://" + rcv.addr
	bk := testbed.StartExtraBuildKitEnv(t, []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + endpoint,
		"OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
		// Export every 100ms rather than every 5s.
		"OTEL_BSP_SCHEDULE_DELAY=100",
	}, "")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
	const secret = "otel-secret-5c81e0"
	t.Setenv("ORCH_OTEL_TOKEN", secret)

	dir := t.TempDir()
	files := map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
target "base" {
  contexts = { busybox = BUSYBOX }
  secret   = ["id=token,env=ORCH_OTEL_TOKEN"]
  output   = ["type=oci,tar=false,dest=out/base"]
}
target "app" {
  contexts   = { base = "target:base" }
  dockerfile = "app.Dockerfile"
  output     = ["type=oci,tar=false,dest=out/app"]
}`,
		"Dockerfile": "FROM scratch\nARG TARGETARCH\nCOPY --from=busybox ${TARGETARCH}/busybox /bin/busybox\n" +
			"RUN --mount=type=secret,id=token [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox wc -c /run/secrets/token > /len\"]\n",
		"app.Dockerfile": "FROM base\nRUN [\"/bin/busybox\", \"cp\", \"/len\", \"/app\"]\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts := build.Options{
		Config:   config.Options{Files: []string{filepath.Join(dir, "orch.hcl")}, WorkDir: dir, Vars: map[string]string{"BUSYBOX": testbed.Busybox(t)}, Env: os.Environ()},
		Targets:  []string{"app"},
		Progress: "quiet",
	}
	opts.Builder.Addr = bk.Addr
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := build.Run(ctx, opts)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	rep := res.Report
	for _, w := range rep.Warnings {
		t.Errorf("warning: %s", w)
	}

	// orch's attempt span of app, and buildkitd's spans under it.
	attemptOf := func(spans []span, target string) *span {
		for i := range spans {
			if s := &spans[i]; s.service == "orch" && s.attrs["orch.kind"] == "attempt" && s.attrs["orch.target"] == target {
				return s
			}
		}
		return nil
	}
	byID := func(spans []span) map[string]*span {
		m := map[string]*span{}
		for i := range spans {
			m[spans[i].id] = &spans[i]
		}
		return m
	}
	// under reports whether s descends from the span with id ancestor.
	under := func(ids map[string]*span, s *span, ancestor string) bool {
		for hops := 0; s != nil && hops < 100; hops++ {
			if s.parent == ancestor {
				return true
			}
			s = ids[s.parent]
		}
		return false
	}
	daemonUnder := func(spans []span, target string) []*span {
		a := attemptOf(spans, target)
		if a == nil {
			return nil
		}
		ids := byID(spans)
		var out []*span
		for i := range spans {
			if s := &spans[i]; s.service == "buildkitd" && s.trace == a.trace && under(ids, s, a.id) {
				out = append(out, s)
			}
		}
		return out
	}
	spans := rcv.waitFor(t, func(spans []span) bool {
		return len(daemonUnder(spans, "base")) > 0 && len(daemonUnder(spans, "app")) > 0
	})
	ids := byID(spans)
	var root *span
	for i := range spans {
		if spans[i].service == "orch" && spans[i].name == "orch build" {
			root = &spans[i]
		}
	}
	if root == nil {
		t.Fatal("no span of the run")
	}
	for _, o := range rep.Outcomes {
		var target *span
		for i := range spans {
			if s := &spans[i]; s.service == "orch" && s.attrs["orch.kind"] == "target" && s.name == o.Name {
				target = s
			}
		}
		if target == nil || target.parent != root.id || target.trace != root.trace {
			t.Fatalf("%s: target span %+v is not a child of the run's %s", o.Name, target, root.id)
		}
		if target.attrs["orch.status"] != string(o.Status) {
			t.Errorf("%s: status %q, want %s", o.Name, target.attrs["orch.status"], o.Status)
		}
		if got, want := target.start, uint64(o.Ready.UnixNano()); got != want {
			t.Errorf("%s: target span starts at %d, the report says ready at %d", o.Name, got, want)
		}
		a := attemptOf(spans, o.Name)
		if a == nil || a.parent != target.id {
			t.Fatalf("%s: attempt span %+v is not the target's child", o.Name, a)
		}
		if want := uint64(o.Attempts[0].Started.UnixNano()); a.start != want {
			t.Errorf("%s: attempt span starts at %d, the report says %d", o.Name, a.start, want)
		}
		kinds := map[string]int{}
		for i := range spans {
			if s := &spans[i]; s.service == "orch" && under(ids, s, a.id) {
				kinds[s.attrs["orch.kind"]+" "+s.name]++
			}
		}
		// base is only app's link: it is solved, not exported.
		phases := []string{"solve"}
		if o.Exported {
			phases = append(phases, "export", "push")
		}
		for _, p := range phases {
			want := "phase " + o.Name + ": " + p
			if kinds[want] != 1 {
				t.Errorf("%s: %d spans %q under the attempt; spans: %v", o.Name, kinds[want], want, kinds)
			}
		}
		steps := 0
		for k, n := range kinds {
			if strings.HasPrefix(k, "step ") {
				steps += n
			}
		}
		if steps != len(o.Attempts[0].Steps) || steps == 0 {
			t.Errorf("%s: %d step spans, the report has %d steps", o.Name, steps, len(o.Attempts[0].Steps))
		}
		d := daemonUnder(spans, o.Name)
		names := map[string]bool{}
		for _, s := range d {
			names[s.name] = true
		}
		t.Logf("%s: %d buildkitd spans under the attempt, e.g. %v", o.Name, len(d), first(names, 5))
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if bytes.Contains(rcv.raw.Bytes(), []byte(secret)) {
		t.Error("the secret reached the collector")
	}
}

func first(set map[string]bool, n int) []string {
	var out []string
	for k := range set {
		if len(out) == n {
			break
		}
		out = append(out, k)
	}
	return out
}
