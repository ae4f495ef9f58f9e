// Package telemetry exports a run as OpenTelemetry spans over OTLP when
// the standard environment asks for it (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): a span for the run, and for every
// target the spans of report.Spans (its queueing, attempts, phases, steps
// and backoffs), the same timeline the HTML report and the trace file
// show. Each solve carries its attempt's span context, so a BuildKit
// client made with the run's context propagates it over gRPC and the
// daemon's own spans join the trace, as buildx does.
//
// It builds nothing and decides nothing: it observes the runner and wraps
// its Solver.
package telemetry

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/report"
)

// Enabled reports whether the environment, read through getenv, asks for
// spans to be exported: an OTLP endpoint is set, and neither
// OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none turns it off.
func Enabled(getenv func(string) string) bool {
	if getenv("OTEL_SDK_DISABLED") == "true" || getenv("OTEL_TRACES_EXPORTER") == "none" {
		return false
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// NewExporter returns the OTLP exporter the environment names:
// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL is
// "grpc" (the default, as BuildKit and buildx have it) or
// "http/protobuf". The exporter reads the endpoint, headers, TLS and
// timeout settings from the environment itself.
func NewExporter(ctx context.Context, getenv func(string) string) (sdktrace.SpanExporter, error) {
	name := "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	proto := getenv(name)
	if proto == "" {
		name = "OTEL_EXPORTER_OTLP_PROTOCOL"
		proto = getenv(name)
	}
	switch proto {
	case "", "grpc":
		return otlptracegrpc.New(ctx)
	case "http/protobuf":
		return otlptracehttp.New(ctx)
	default:
		return nil, fmt.Errorf("%s %q: orch exports spans over grpc or http/protobuf", name, proto)
	}
}

// Tracer records one run. Use it as the run's observer and wrap the
// run's solver with Solver; End the run when it is over.
type Tracer struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	ctx    context.Context
	root   trace.Span

	mu sync.Mutex
	// ids are the span IDs chosen, before they are emitted, for each
	// target and attempt, so that a solve can carry its attempt's span
	// context while the spans are made from the finished outcome.
	targets  map[string]trace.SpanID
	attempts map[attemptKey]trace.SpanID
	ended    atomic.Bool
}

type attemptKey struct {
	target string
	number int
}

// Start begins a run's trace with the root span "orch build" exported
// through exp, and returns the tracer and ctx carrying the root span. A
// BuildKit client made with that context (client.New takes the tracer
// provider of the span it finds there) sends its spans to the same
// exporter and propagates the trace to the daemon.
func Start(ctx context.Context, exp sdktrace.SpanExporter, version string) (*Tracer, context.Context, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "orch"), attribute.String("service.version", version)),
		// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
	)
	if err != nil {
		return nil, ctx, fmt.Errorf("OpenTelemetry resource: %w", err)
	}
	t := &Tracer{targets: map[string]trace.SpanID{}, attempts: map[attemptKey]trace.SpanID{}}
	t.tp = sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithIDGenerator(presetIDs{}),
	)
	t.tracer = t.tp.Tracer("github.com/orch-build/orch")
	t.ctx, t.root = t.tracer.Start(ctx, "orch build")
	return t, t.ctx, nil
}

// Observe notes each attempt as it starts, choosing the span IDs of the
// attempt and its target, and emits a target's spans once it finished.
func (t *Tracer) Observe(e runner.Event) {
	switch e.Kind {
	case runner.AttemptStarted:
		t.mu.Lock()
		if _, ok := t.targets[e.Name]; !ok {
			t.targets[e.Name] = randomSpanID()
		}
		t.attempts[attemptKey{e.Name, e.Attempt.Number}] = randomSpanID()
		t.mu.Unlock()
	case runner.NodeFinished:
		t.emitTarget(e.Outcome)
	}
}

// Solver wraps s so that each solve's context carries its attempt's span
// context: BuildKit's client propagates it and the daemon's spans become
// the attempt's children.
func (t *Tracer) Solver(s runner.Solver) runner.Solver {
	return solverFunc(func(ctx context.Context, job runner.Job) (*runner.Result, error) {
		t.mu.Lock()
		id, ok := t.attempts[attemptKey{job.Node.Name, job.Attempt}]
		t.mu.Unlock()
		if ok {
			ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: t.root.SpanContext().TraceID(), SpanID: id, TraceFlags: trace.FlagsSampled,
			}))
		}
		return s.Solve(ctx, job)
	})
}

type solverFunc func(ctx context.Context, job runner.Job) (*runner.Result, error)

func (f solverFunc) Solve(ctx context.Context, job runner.Job) (*runner.Result, error) {
	return f(ctx, job)
}

// End closes the run's span at the report's end (rep may be nil when
// nothing ran) and sends every span, waiting at most until ctx is done;
// calls after the first do nothing. Its error is an export that failed;
// the run itself is not affected.
func (t *Tracer) End(ctx context.Context, rep *runner.Report) error {
	if !t.ended.CompareAndSwap(false, true) {
		return nil
	}
	end := time.Now()
	if rep != nil {
		t.root.SetAttributes(
			attribute.String("orch.status", rep.Status()),
			attribute.Int("orch.targets", len(rep.Outcomes)),
		)
		for _, s := range runner.Statuses {
			t.root.SetAttributes(attribute.Int("orch.count."+string(s), rep.Count(s)))
		}
		if rep.Status() != "succeeded" {
			t.root.SetStatus(codes.Error, rep.Status())
		}
		end = rep.Started.Add(rep.Duration)
	}
	t.root.End(trace.WithTimestamp(end))
	err := t.tp.ForceFlush(ctx)
	if serr := t.tp.Shutdown(ctx); err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("export OpenTelemetry spans: %w", err)
	}
	return nil
}

// emitTarget makes the spans of a finished target, its target and
// attempt spans with the IDs its solves carried.
func (t *Tracer) emitTarget(o *runner.Outcome) {
	root, ok := report.Spans(o)
	if !ok {
		return
	}
	t.mu.Lock()
	ids := map[attemptKey]trace.SpanID{{o.Name, 0}: t.targets[o.Name]}
	for k, id := range t.attempts {
		if k.target == o.Name {
			ids[k] = id
		}
	}
	t.mu.Unlock()
	t.emit(t.ctx, root, o.Name, ids)
}

func (t *Tracer) emit(parent context.Context, s report.Span, target string, ids map[attemptKey]trace.SpanID) {
	ctx := parent
	switch s.Kind {
	case report.SpanTarget:
		ctx = withPresetID(ctx, ids[attemptKey{target, 0}])
	case report.SpanAttempt:
		ctx = withPresetID(ctx, ids[attemptKey{target, s.Attempt}])
	}
	attrs := []attribute.KeyValue{attribute.String("orch.kind", string(s.Kind)), attribute.String("orch.target", target)}
	if s.Attempt > 0 {
		attrs = append(attrs, attribute.Int("orch.attempt", s.Attempt))
	}
	var failure string
	for _, a := range s.Attrs {
		attrs = append(attrs, attribute.String("orch."+a.Key, a.Value))
		if a.Key == "error" {
			failure = a.Value
		}
	}
	ctx, span := t.tracer.Start(ctx, spanName(s, target), trace.WithTimestamp(s.Start), trace.WithAttributes(attrs...))
	if failure != "" {
		span.SetStatus(codes.Error, failure)
	}
	for _, c := range s.Children {
		t.emit(ctx, c, target, ids)
	}
	span.End(trace.WithTimestamp(s.End))
}

// spanName names a span in a trace viewer's list, where the target must
// show: "api", "api: attempt 1", "api: export"; a step keeps its own name,
// which BuildKit already prefixes with the target's stage.
func spanName(s report.Span, target string) string {
	switch s.Kind {
	case report.SpanTarget, report.SpanStep:
		return s.Name
	default:
		return target + ": " + s.Name
	}
}

// presetIDs is the tracer provider's ID generator: a span started with a
// context from withPresetID gets that ID, every other one a random ID.
type presetIDs struct{}

type presetKey struct{}

func withPresetID(ctx context.Context, id trace.SpanID) context.Context {
	if !id.IsValid() {
		return ctx
	}
	return context.WithValue(ctx, presetKey{}, id)
}

func (presetIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	var tid trace.TraceID
	for !tid.IsValid() {
		binary.NativeEndian.PutUint64(tid[:8], rand.Uint64())
		binary.NativeEndian.PutUint64(tid[8:], rand.Uint64())
	}
	return tid, presetIDs{}.NewSpanID(ctx, tid)
}

func (presetIDs) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	if id, ok := ctx.Value(presetKey{}).(trace.SpanID); ok {
		return id
	}
	return randomSpanID()
}

func randomSpanID() trace.SpanID {
	var sid trace.SpanID
	for !sid.IsValid() {
		binary.NativeEndian.PutUint64(sid[:], rand.Uint64())
	}
	return sid
}

// FromEnv starts a Tracer exporting as the environment says (see Enabled
// and NewExporter); it returns a nil Tracer and ctx unchanged when the
// environment asks for no export.
func FromEnv(ctx context.Context, getenv func(string) string, version string) (*Tracer, context.Context, error) {
	if !Enabled(getenv) {
		return nil, ctx, nil
	}
	exp, err := NewExporter(ctx, getenv)
	if err != nil {
		return nil, ctx, err
	}
	return Start(ctx, exp, version)
}
