package build

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/orch-build/orch/runner"
)

// Views names the views of a run that WriteView makes from a JSON run
// report, and the report file option that writes the same during a build.
var Views = map[string]string{"html": "--report-html", "trace": "--trace"}

// WriteView reads the JSON run report at from (as --report wrote it) and
// writes one of its Views to the file to, as a build with the view's
// option would have: "html" is the self-contained HTML page, "trace" the
// Chrome trace-event file. An empty to or "-" writes to stdout; a page's
// links to log files are then relative to the working directory, as the
// report's relative log paths are. The file is replaced only once
// complete; its directory is made when missing.
func WriteView(view, from, to string, stdout io.Writer) error {
	option, ok := Views[view]
	if !ok {
		return invalid("report view %q: want html or trace", view)
	}
	var write func(*runner.Report, string, io.Writer) error
	for _, f := range reportFiles {
		if f.option == option {
			write = f.write
		}
	}
	f, err := os.Open(from)
	if err != nil {
		return err
	}
	defer f.Close()
	rep, err := runner.ReadReport(f)
	if err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	if to == "" || to == "-" {
		return write(rep, ".", stdout)
	}
	if strings.HasSuffix(to, string(os.PathSeparator)) {
		return invalid("-o %s: name a file, not a directory", to)
	}
	// As for a build's report files, a missing directory is made.
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return runner.WriteFile(to, func(w io.Writer) error { return write(rep, to, w) })
}
