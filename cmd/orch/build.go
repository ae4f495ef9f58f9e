package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/buildkit"
)

// builderFlags name the builder: --builder (or BUILDKIT_HOST) and TLS files.
func builderFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{
			Name:    "builder",
			EnvVars: []string{"BUILDKIT_HOST"},
			Usage:   "BuildKit daemon `ADDR`: unix://, tcp://, docker-container://, kube-pod://, podman-container:// or ssh://; default: orch's managed local buildkitd",
		},
		&cli.StringFlag{Name: "tlscacert", Usage: "CA certificate `FILE` for a tcp:// builder"},
		&cli.StringFlag{Name: "tlscert", Usage: "client certificate `FILE` for a tcp:// builder"},
		&cli.StringFlag{Name: "tlskey", Usage: "client key `FILE` for a tcp:// builder"},
	}
}

func builderOptions(c *cli.Context) buildkit.BuilderOptions {
	return buildkit.BuilderOptions{
		Addr:      c.String("builder"),
		TLSCACert: c.String("tlscacert"),
		TLSCert:   c.String("tlscert"),
		TLSKey:    c.String("tlskey"),
	}
}

func buildCommand() *cli.Command {
	flags := append(configFlags(), builderFlags()...)
	flags = append(flags,
		&cli.BoolFlag{Name: "push", Usage: "push every image output to its registry (shorthand for --set '*.push=true', as in bake)"},
		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: fmt.Sprintf("run at most `N` solves at once (default %d)", runner.DefaultJobs())},
		&cli.BoolFlag{Name: "keep-going", Aliases: []string{"k"}, Usage: "after a failure, finish every target that does not depend on it"},
		&cli.IntFlag{Name: "retries", Usage: "retry a transient failure (registry 5xx/429, dropped connection) up to `N` times"},
		&cli.BoolFlag{Name: "atomic", Usage: "publish only when every target succeeded: push by digest while building, then move tags, write local outputs and create containerd images"},
		&cli.IntFlag{Name: "registry-jobs", Value: 4, Usage: "push at most `N` images to one registry host at once, across all targets (0: no limit)"},
		&cli.StringFlag{Name: "progress", Value: "auto", Usage: "progress output: " + strings.Join(buildkit.ProgressModes, ", ")},
		&cli.StringFlag{Name: "report", Usage: "write a JSON run report to `FILE`"},
		&cli.StringFlag{Name: "junit", Usage: "write a JUnit XML report to `FILE`, one testcase per target"},
		&cli.StringFlag{Name: "metadata-file", Usage: "write buildx-compatible build metadata to `FILE`"},
		&cli.StringFlag{Name: "log-dir", Usage: "write one plain build log per target into `DIR`"},
	)
	return &cli.Command{
		Name:      "build",
		Usage:     "build the selected targets and write their outputs",
		ArgsUsage: "[TARGET|GROUP...]",
		Flags:     flags,
		Action:    buildAction,
	}
}

// checkBuildFlags rejects flag values no run could use, before anything is
// loaded or any builder is contacted (without --builder that would start
// the managed buildkitd just to fail).
func checkBuildFlags(c *cli.Context) error {
	if p := c.String("progress"); !slices.Contains(buildkit.ProgressModes, p) {
		return fmt.Errorf("--progress %q: want one of %s: %w", p, strings.Join(buildkit.ProgressModes, ", "), errUsage)
	}
	if n := c.Int("jobs"); n < 0 {
		return fmt.Errorf("--jobs %d: want 1 or more, or 0 for the default (%d): %w", n, runner.DefaultJobs(), errUsage)
	}
	if n := c.Int("retries"); n < 0 {
		return fmt.Errorf("--retries %d: want 0 or more: %w", n, errUsage)
	}
	return nil
}

func buildAction(c *cli.Context) error {
	if err := checkBuildFlags(c); err != nil {
		return err
	}
	if c.Bool("push") {
		if err := c.Set("set", "*.push=true"); err != nil {
			return err
		}
	}
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	plan, err := graph.New(cfg, targetNames(c))
	if err != nil {
		writeDiagnostics(c.App.ErrWriter, graph.Diagnostics(err), cfg.Sources)
		return fmt.Errorf("plan: %w: %w", errUsage, errReported)
	}
	if diags := buildkit.Preflight(plan); diags.HasErrors() {
		writeDiagnostics(c.App.ErrWriter, diags, cfg.Sources)
		return fmt.Errorf("check targets: %w: %w", errUsage, errReported)
	}
	ctx := c.Context
	bk, err := buildkit.Open(ctx, builderOptions(c))
	if err != nil {
		return fmt.Errorf("%w: %w", err, errFailed)
	}
	defer bk.Close()
	solver, err := buildkit.NewSolver(ctx, bk, plan, buildkit.Options{
		Progress:     c.String("progress"),
		Stdout:       c.App.Writer,
		Atomic:       c.Bool("atomic"),
		RegistryJobs: c.Int("registry-jobs"),
	})
	if errors.Is(err, buildkit.ErrLayoutBusy) {
		return fmt.Errorf("%w: %w", err, errFailed)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", err, errUsage)
	}
	rep, runErr := runner.Run(ctx, plan, solver, runner.Options{
		Jobs:      c.Int("jobs"),
		KeepGoing: c.Bool("keep-going"),
		Retries:   c.Int("retries"),
		LogDir:    c.String("log-dir"),
	})
	if c.Bool("atomic") {
		runErr = runner.Finish(ctx, solver, rep, runErr)
	}
	if err := solver.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if rep != nil {
		rep.Warnings = append(rep.Warnings, solver.Warnings()...)
		_ = rep.WriteSummary(c.App.ErrWriter)
		for _, f := range []struct {
			flag  string
			write func(string) error
		}{
			{"report", func(p string) error { return runner.WriteFile(p, rep.WriteJSON) }},
			{"junit", func(p string) error { return runner.WriteFile(p, rep.WriteJUnit) }},
			{"metadata-file", func(p string) error { return runner.WriteFile(p, rep.WriteMetadata) }},
		} {
			if p := c.String(f.flag); p != "" {
				if err := f.write(p); err != nil {
					fmt.Fprintf(c.App.ErrWriter, "orch: --%s: %v\n", f.flag, err)
					if runErr == nil {
						runErr = fmt.Errorf("--%s: %w: %w", f.flag, err, errFailed)
					}
				}
			}
		}
	}
	switch {
	case runErr == nil:
		return nil
	case errors.Is(runErr, runner.ErrInterrupted):
		return fmt.Errorf("%w: %w: %w", runErr, errInterrupted, errReported)
	case errors.Is(runErr, runner.ErrFailed):
		// The summary above already names every failure.
		return fmt.Errorf("%w: %w: %w", runErr, errFailed, errReported)
	case errors.Is(runErr, runner.ErrInvalidOptions):
		return fmt.Errorf("%w: %w", runErr, errUsage)
	default:
		return fmt.Errorf("%w: %w", runErr, errFailed)
	}
}
