package config

import (
	"strings"
	"testing"
)

func TestNormalizeImageName(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "app", want: "docker.io/library/app:latest"},
		{in: "app:1", want: "docker.io/library/app:1"},
		{in: "docker.io/library/app:1", want: "docker.io/library/app:1"},
		{in: "index.docker.io/library/app:1", want: "docker.io/library/app:1"},
		{in: "user/app:1", want: "docker.io/user/app:1"},
		{in: "127.0.0.1:5000/team/app", want: "127.0.0.1:5000/team/app:latest"},
		{in: "example.com/app@sha256:" + strings.Repeat("a", 64), want: "example.com/app@sha256:" + strings.Repeat("a", 64)},
		{in: "App:1", err: `image name "App:1": invalid reference format: repository name (library/App) must be lowercase`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeImageName(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("NormalizeImageName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}
