package graph

import "unicode/utf8"

// suggest returns the candidate closest to name by edit distance, or "" when
// none is close enough to be a likely typo. The allowance grows with the
// length of the name: one edit up to five characters, two up to eight, and so
// on; ties go to the alphabetically first candidate, so the advice is
// deterministic.
func suggest(name string, candidates []string) string {
	limit := max(1, utf8.RuneCountInString(name)/3)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		// The bound is one past the best so far, so a tie is measured exactly.
		d := editDistance(name, c, bestDist+1)
		if d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	if bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b counted in runes.
// It gives up early, returning bound, once the distance is certain to reach
// bound, which keeps suggestions cheap over thousands of names.
func editDistance(a, b string, bound int) int {
	ra, rb := []rune(a), []rune(b)
	if diff := len(ra) - len(rb); diff >= bound || -diff >= bound {
		return bound
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= bound {
			return bound
		}
		prev, cur = cur, prev
	}
	return min(prev[len(rb)], bound)
}
