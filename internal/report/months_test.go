package report

import (
	"fmt"
	"testing"
)

// The whole months of a range come from the monthly sums, the days around
// them from the expenses: together exactly the range.
func TestWholeMonths(t *testing.T) {
	for _, c := range []struct{ from, to, want string }{
		{"2026-01-01", "2026-03-31", "2026-01..2026-03 []"},
		{"2026-01-15", "2026-03-31", "2026-02..2026-03 [[2026-01-15 2026-01-31]]"},
		{"2026-01-01", "2026-03-15", "2026-01..2026-02 [[2026-03-01 2026-03-15]]"},
		{"2026-01-31", "2026-03-01", "2026-02..2026-02 [[2026-01-31 2026-01-31] [2026-03-01 2026-03-01]]"},
		{"2024-02-01", "2024-02-29", "2024-02..2024-02 []"},
		{"2026-01-15", "2026-02-10", "none"},
		{"2026-01-15", "2026-01-20", "none"},
	} {
		q := &Query{From: c.from, To: c.to}
		first, last, edges := q.wholeMonths()
		got := "none"
		if first <= last {
			got = fmt.Sprintf("%s..%s %v", first, last, edges)
			if edges == nil {
				got = fmt.Sprintf("%s..%s []", first, last)
			}
		}
		if got != c.want {
			t.Errorf("%s..%s: %s, want %s", c.from, c.to, got, c.want)
		}
	}
}
