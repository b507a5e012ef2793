package report

import (
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tools/types"
)

// visits: compliance per rep, tier or team over the visits due in range
// (cancelled ones are not planned): done on time (ended on or before the
// window's last day, or the due day without a window), done late, missed,
// still to do, compliance (on time out of those no longer to do) and
// off-site check-ins.
var visitsReport = definition{groupBy: []string{"rep", "tier", "team"}, run: visits}

var visitsColumns = []Column{{"planned", Count}, {"done_on_time", Count}, {"done_late", Count},
	{"missed", Count}, {"remaining", Count}, {"compliance", Percent}, {"offsite_checkins", Count}}

var visitKeys = map[string]string{"rep": "v.rep", "tier": "c.tier", "team": "v.team"}

func visits(q *Query) (*Result, error) {
	keys, _ := keyExprs(visitKeys, q.GroupBy)
	sel := q.App.DB().Select(append(keys, "v.status", "v.due_date", "v.window_end", "v.ended_at", "v.checkin_result")...).
		From("visits v").
		Where(dbx.Between("v.due_date", q.From, q.To)).
		AndWhere(dbx.NewExp("v.status != 'cancelled'"))
	if needsCustomer(q.GroupBy) {
		sel.LeftJoin("customers c", dbx.NewExp("c.id = v.customer"))
	}
	if err := q.limit(sel, "visits", "v"); err != nil {
		return nil, err
	}
	var found []struct {
		Key           string `db:"k0"`
		Status        string `db:"status"`
		DueDate       string `db:"due_date"`
		WindowEnd     string `db:"window_end"`
		EndedAt       string `db:"ended_at"`
		CheckinResult string `db:"checkin_result"`
	}
	if err := sel.All(&found); err != nil {
		return nil, err
	}
	rs := newRows()
	total := map[string]int64{}
	count := func(r Row, name string) {
		r[name] = r[name].(int64) + 1
		total[name]++
	}
	for _, v := range found {
		r := rs.get([]string{v.Key}, visitsColumns)
		var figure string
		switch v.Status {
		case "done":
			figure = "done_late"
			if q.onTime(v.EndedAt, v.WindowEnd, v.DueDate) {
				figure = "done_on_time"
			}
		case "missed":
			figure = "missed"
		default: // scheduled, in_progress
			figure = "remaining"
		}
		count(r, "planned")
		count(r, figure)
		if v.CheckinResult == "outside" {
			count(r, "offsite_checkins")
		}
	}
	list, err := rs.list(q, q.GroupBy)
	if err != nil {
		return nil, err
	}
	for _, r := range list {
		r["compliance"] = percent(r["done_on_time"].(int64), r["planned"].(int64)-r["remaining"].(int64))
	}
	totals := map[string]any{}
	for _, c := range visitsColumns {
		totals[c.Name] = total[c.Name]
	}
	totals["compliance"] = percent(total["done_on_time"], total["planned"]-total["remaining"])
	return &Result{Rows: list, Totals: totals, Columns: visitsColumns}, nil
}

// onTime says whether a visit that ended at endedAt (an instant) ended by
// the last day of its window (its due day without one), in the org's days.
// A done visit without an end time counts as on time: nothing says late.
func (q *Query) onTime(endedAt, windowEnd, dueDate string) bool {
	last := windowEnd
	if last == "" {
		last = dueDate
	}
	ended, err := types.ParseDateTime(endedAt)
	if err != nil || ended.IsZero() || last == "" {
		return true
	}
	return ended.Time().In(q.Settings.Location).Format(time.DateOnly) <= last
}
