package report

import (
	"math"
	"sort"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tools/types"
)

// complaints: per owner (rep), team, severity or channel, the complaints
// received in range: answered within the SLA (responded_at by
// response_due), breached, the median minutes from receipt to first
// response, and those still open (open or acknowledged).
var complaintsReport = definition{groupBy: []string{"rep", "team", "severity", "channel"}, run: complaints}

var complaintsColumns = []Column{{"received", Count}, {"within_sla", Count}, {"breached", Count},
	{"median_response_minutes", Number}, {"open", Count}}

var complaintKeys = map[string]string{"rep": "k.owner", "team": "k.team", "severity": "k.severity", "channel": "k.channel"}

func complaints(q *Query) (*Result, error) {
	rs := newRows()
	totals := map[string]any{}
	for _, c := range complaintsColumns {
		totals[c.Name] = int64(0)
	}
	totals["median_response_minutes"] = nil
	if !q.hasComplaints() {
		return &Result{Rows: []Row{}, Totals: totals, Columns: complaintsColumns}, nil
	}
	keys, _ := keyExprs(complaintKeys, q.GroupBy)
	start, end := q.Instants()
	sel := q.App.DB().Select(append(keys, "k.status", "k.received_at", "k.response_due", "k.responded_at", "k.breached")...).
		From("complaints k").
		Where(dbx.NewExp("k.received_at >= {:start} AND k.received_at < {:end}", dbx.Params{"start": start, "end": end}))
	if err := q.limit(sel, "complaints", "k"); err != nil {
		return nil, err
	}
	var found []struct {
		Key         string `db:"k0"`
		Status      string `db:"status"`
		ReceivedAt  string `db:"received_at"`
		ResponseDue string `db:"response_due"`
		RespondedAt string `db:"responded_at"`
		Breached    bool   `db:"breached"`
	}
	if err := sel.All(&found); err != nil {
		return nil, err
	}
	minutes := map[string][]float64{}
	var all []float64
	for _, k := range found {
		r := rs.get([]string{k.Key}, complaintsColumns)
		count := func(name string) {
			r[name] = r[name].(int64) + 1
			totals[name] = totals[name].(int64) + 1
		}
		count("received")
		if k.Breached {
			count("breached")
		}
		if k.Status == "open" || k.Status == "acknowledged" {
			count("open")
		}
		responded, _ := types.ParseDateTime(k.RespondedAt)
		if responded.IsZero() {
			continue
		}
		if due, _ := types.ParseDateTime(k.ResponseDue); !due.IsZero() && !responded.Time().After(due.Time()) {
			count("within_sla")
		}
		if received, _ := types.ParseDateTime(k.ReceivedAt); !received.IsZero() {
			m := responded.Time().Sub(received.Time()).Minutes()
			minutes[r["key"].(string)] = append(minutes[r["key"].(string)], m)
			all = append(all, m)
		}
	}
	list, err := rs.list(q, q.GroupBy)
	if err != nil {
		return nil, err
	}
	for _, r := range list {
		r["median_response_minutes"] = median(minutes[r["key"].(string)])
	}
	totals["median_response_minutes"] = median(all)
	return &Result{Rows: list, Totals: totals, Columns: complaintsColumns}, nil
}

// median of xs rounded to a tenth, nil when there are none.
func median(xs []float64) any {
	if len(xs) == 0 {
		return nil
	}
	sort.Float64s(xs)
	m := xs[len(xs)/2]
	if len(xs)%2 == 0 {
		m = (xs[len(xs)/2-1] + m) / 2
	}
	return math.Round(m*10) / 10
}
