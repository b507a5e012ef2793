package budget_test

import (
	"testing"

	"rapport/internal/budget"
)

func TestPeriodEnd(t *testing.T) {
	for _, c := range []struct{ period, start, end string }{
		{"month", "2026-01-01", "2026-01-31"},
		{"month", "2024-02-01", "2024-02-29"},
		{"quarter", "2026-04-01", "2026-06-30"},
		{"quarter", "2026-10-01", "2026-12-31"},
		{"year", "2026-01-01", "2026-12-31"},
		{"month", "2026-01-15", ""},
		{"quarter", "2026-02-01", ""},
		{"year", "2026-07-01", ""},
		{"week", "2026-01-01", ""},
		{"year", "soon", ""},
	} {
		end, err := budget.PeriodEnd(c.period, c.start)
		if end != c.end || (err != nil) != (c.end == "") {
			t.Errorf("%s from %s: %q %v, want %q", c.period, c.start, end, err, c.end)
		}
	}
}
