package telemetry

import (
	"context"
	"testing"
)

func TestEnabled(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4317", "OTEL_SDK_DISABLED": "true"}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4317", "OTEL_TRACES_EXPORTER": "none"}, false},
	} {
		if got := Enabled(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("Enabled(%v) = %v, want %v", tc.env, got, tc.want)
		}
	}
}

func TestNewExporterProtocol(t *testing.T) {
	env := map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"}
	_, err := NewExporter(context.Background(), func(k string) string { return env[k] })
	want := `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL "http/json": orch exports spans over grpc or http/protobuf`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	for _, proto := range []string{"", "grpc", "http/protobuf"} {
		exp, err := NewExporter(context.Background(), func(k string) string {
			if k == "OTEL_EXPORTER_OTLP_PROTOCOL" {
				return proto
			}
			return ""
		})
		if err != nil || exp == nil {
			t.Errorf("protocol %q: %v", proto, err)
			continue
		}
		_ = exp.Shutdown(context.Background())
	}
}
