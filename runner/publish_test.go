package runner

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFinish(t *testing.T) {
	boom := errors.New("tag r/app:1: 500 Internal Server Error")
	tests := []struct {
		name          string
		cancelled     bool // the caller's context is done
		runErr        error
		publishErr    error
		wantErr       string
		wantIs        error
		wantPublished int
		wantDiscarded int
		wantWarnings  []string
	}{
		{
			name:          "every target succeeded: publish",
			wantPublished: 1,
		},
		{
			name:          "a target failed: discard, publish nothing",
			runErr:        ErrFailed,
			wantErr:       ErrFailed.Error(),
			wantIs:        ErrFailed,
			wantDiscarded: 1,
			wantWarnings:  []string{"atomic run: nothing was published because not every target succeeded; images pushed by digest stay untagged"},
		},
		{
			name:          "publish failed part way",
			publishErr:    boom,
			wantErr:       "build failed: publish: tag r/app:1: 500 Internal Server Error",
			wantIs:        ErrFailed,
			wantPublished: 1,
			wantDiscarded: 1,
			wantWarnings:  []string{"atomic run: publish failed part way: tag r/app:1: 500 Internal Server Error"},
		},
		{
			name:          "publish interrupted",
			cancelled:     true,
			publishErr:    context.Canceled,
			wantErr:       "build interrupted: publish: context canceled",
			wantIs:        ErrInterrupted,
			wantPublished: 1,
			wantDiscarded: 1,
			wantWarnings:  []string{"atomic run: publish failed part way: context canceled"},
		},
		{
			// Canceled from below, not by the user: a failure.
			name:          "publish cancelled by the registry client",
			publishErr:    context.Canceled,
			wantErr:       "build failed: publish: context canceled",
			wantIs:        ErrFailed,
			wantPublished: 1,
			wantDiscarded: 1,
			wantWarnings:  []string{"atomic run: publish failed part way: context canceled"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &FakePublisher{PublishFunc: func(context.Context, *Report) error { return tt.publishErr }}
			rep := &Report{}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancelled {
				cancel()
			}
			err := Finish(ctx, p, rep, tt.runErr)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("error %q, want %q", got, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v does not wrap %v", err, tt.wantIs)
			}
			if p.Published != tt.wantPublished || p.Discarded != tt.wantDiscarded {
				t.Errorf("published %d, discarded %d; want %d, %d", p.Published, p.Discarded, tt.wantPublished, tt.wantDiscarded)
			}
			if diff := cmp.Diff(tt.wantWarnings, rep.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}
