// Package logtail reads the end of a daemon's log file, for error messages
// that explain why a daemon did not come up.
package logtail

import "os"

// Tail returns the last n bytes of the file at path, or "" when it cannot be
// read.
func Tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(st.Size()-n, 0)
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return ""
	}
	return string(buf)
}
