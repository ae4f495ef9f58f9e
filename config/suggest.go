package config

import (
	"fmt"
	"sort"
)

// suggest returns the candidate closest to name when it is close enough to
// be a plausible typo, or "" otherwise. Ties go to the candidate that sorts
// first, so suggestions are deterministic.
func suggest(name string, candidates []string) string {
	best, bestDist := "", -1
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		if c == name {
			continue
		}
		d := editDistance(name, c)
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	// Allow roughly one edit per three characters: "platfrom" finds
	// "platforms", "foo" does not find "bar".
	limit := len(name) / 3
	if limit < 1 {
		limit = 1
	}
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

// didYouMean formats a suggestion as a sentence to append to a detail, or ""
// when there is none.
func didYouMean(name string, candidates []string) string {
	if s := suggest(name, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// editDistance is the Damerau-Levenshtein distance (with adjacent
// transpositions) between a and b, counted in bytes: names in this format
// are ASCII identifiers.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// Suggest returns the candidate closest to name when it is close enough to
// be a plausible typo, or "" otherwise: the "did you mean" rule of every
// orch message, exported so that the command line and the build entry point
// (flags, commands, variable overrides) suggest as the loader does.
func Suggest(name string, candidates []string) string { return suggest(name, candidates) }
