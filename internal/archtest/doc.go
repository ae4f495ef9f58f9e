// Package archtest holds the test that keeps orch's package layering as
// DESIGN.md and STYLE.md describe it. It has no code of its own.
package archtest
