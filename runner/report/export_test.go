package report

// The checks of the page and the trace, for the test-bed run in
// package report_test.
var (
	CheckPage       = checkPage
	CheckScreenshot = checkScreenshot
	CheckTrace      = checkTrace
	DocsScreenshot  = docsScreenshot
)
