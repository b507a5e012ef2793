package schedule

import (
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/org"
)

// Stats are a customer's server fields that follow from their done visits.
type Stats struct {
	LastVisitAt     types.DateTime // when the latest done visit started (its due day when it has no start)
	SatisfactionAvg float64        // mean rating of the done visits of the last 12 months (0: none)
}

// VisitedAt is when visit v happened: its start, or the start of its due
// day in the org time zone. Expenses' no_visit_same_day reads days the same way.
func VisitedAt(s *org.Settings, v *core.Record) types.DateTime {
	if t := v.GetDateTime("started_at"); !t.IsZero() {
		return t
	}
	day, err := s.ParseDay(v.GetString("due_date"))
	if err != nil {
		return types.DateTime{}
	}
	t, _ := types.ParseDateTime(day)
	return t
}

// CustomerStats computes the Stats of customer as of now.
func CustomerStats(app core.App, s *org.Settings, customer string, now time.Time) (Stats, error) {
	visits, err := app.FindAllRecords("visits", dbx.HashExp{"customer": customer, "status": "done"})
	if err != nil {
		return Stats{}, err
	}
	yearAgo := now.AddDate(-1, 0, 0)
	var st Stats
	var sum, n float64
	for _, v := range visits {
		at := VisitedAt(s, v)
		if at.After(st.LastVisitAt) {
			st.LastVisitAt = at
		}
		if at.Time().Before(yearAgo) {
			continue
		}
		// the rep's rating and the customer's own survey answer count alike
		for _, r := range []float64{v.GetFloat("satisfaction"), v.GetFloat("survey_rating")} {
			if r > 0 {
				sum, n = sum+r, n+1
			}
		}
	}
	if n > 0 {
		st.SatisfactionAvg = float64(int(sum/n*100+0.5)) / 100 // two decimals
	}
	return st, nil
}

// NextVisitDue is the day a customer's next cadence visit is due: the day
// of its last done visit (or, never visited, its customer_since) plus the
// tier's visit interval. "" when the tier sets no interval or neither day
// is known. A day before today means the customer is overdue.
func NextVisitDue(s *org.Settings, tiers []org.Tier, customer *core.Record) string {
	tier, ok := org.Find(tiers, customer.GetString("tier"))
	if !ok || tier.VisitIntervalDays <= 0 {
		return ""
	}
	anchor := customer.GetString("customer_since")
	if last := customer.GetDateTime("last_visit_at"); !last.IsZero() {
		anchor = s.Today(last.Time())
	}
	return addDays(s, anchor, tier.VisitIntervalDays)
}

// addDays is day + n days in the org time zone ("" when day is not a day).
func addDays(s *org.Settings, day string, n int) string {
	t, err := s.ParseDay(day)
	if err != nil {
		return ""
	}
	return t.AddDate(0, 0, n).Format(org.DayLayout)
}
