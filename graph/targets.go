package graph

import "github.com/orch-build/orch/config"

// Targets returns the targets a plan of selection holds, the selected ones
// and every target they link to, sorted by name, whether or not that plan
// is valid: checks of single targets (the adapter's preflight) can thus
// run beside the plan's own checks, so a cycle does not hide a bad value.
// Its error is an invalid selection only, as New reports it.
func Targets(cfg *config.Config, selection []string) ([]*config.Target, error) {
	b, _, err := collect(cfg, selection)
	if err != nil {
		return nil, err
	}
	targets := make([]*config.Target, len(b.nodes))
	for i, n := range b.nodes {
		targets[i] = n.target
	}
	return targets, nil
}

// collect selects the targets of selection and gathers them, with every
// target they link to, into a builder: what New, PrintSet and Targets
// start from.
func collect(cfg *config.Config, selection []string) (*builder, *Selection, error) {
	if cfg == nil {
		cfg = &config.Config{}
	}
	sel, err := Select(cfg, selection)
	if err != nil {
		return nil, nil, err
	}
	return newBuilder(cfg, sel), sel, nil
}
