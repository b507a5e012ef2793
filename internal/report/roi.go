package report

import (
	"math"
	"time"

	"github.com/pocketbase/dbx"
)

// roi: per customer or tier, care spend (committed expenses incurred in
// range) against the annual contract amount, the same range a year before
// and the change, the done visits and the cost per visit, the mean
// satisfaction of those visits, and the complaints received.
var roiReport = definition{groupBy: []string{"customer", "tier"}, run: roi}

var roiColumns = []Column{{"annual_contract", Money}, {"care_spend", Money}, {"spend_ratio", Percent},
	{"care_spend_prev", Money}, {"change", Percent}, {"visits_done", Count}, {"cost_per_visit", Money},
	{"satisfaction", Number}, {"complaints", Count}}

func roi(q *Query) (*Result, error) {
	rs := newRows()
	total := map[string]int64{}
	add := func(parts []string, name string, v int64) {
		r := rs.get(parts, roiColumns)
		sum, _ := r[name].(int64) // rated and rating_sum are not columns
		r[name] = sum + v
		total[name] += v
	}

	// the contracts of the customers the caller sees
	ckeys, _ := keyExprs(map[string]string{"customer": "c.id", "tier": "c.tier"}, q.GroupBy)
	sel := q.App.DB().Select(append(ckeys, "COALESCE(SUM(c.annual_contract_amount), 0)")...).From("customers c")
	if err := eachGroup(q, sel, "customers", "c", 1, func(p []string, s []int64) { add(p, "annual_contract", s[0]) }); err != nil {
		return nil, err
	}

	// care spend this range and a year before
	ekeys, _ := keyExprs(map[string]string{"customer": "e.customer", "tier": "c.tier"}, q.GroupBy)
	prevFrom, prevTo := yearBefore(q.From), yearBefore(q.To)
	sel = q.App.DB().Select(append(ekeys,
		"COALESCE(SUM(CASE WHEN e.incurred_on BETWEEN {:from} AND {:to} THEN e.amount END), 0)",
		"COALESCE(SUM(CASE WHEN e.incurred_on BETWEEN {:prevFrom} AND {:prevTo} THEN e.amount END), 0)")...).
		From("expenses e").
		LeftJoin("customers c", dbx.NewExp("c.id = e.customer")).
		Where(dbx.In("e.status", committedStatuses...)).
		AndWhere(dbx.NewExp("(e.incurred_on BETWEEN {:from} AND {:to}) OR (e.incurred_on BETWEEN {:prevFrom} AND {:prevTo})",
			dbx.Params{"from": q.From, "to": q.To, "prevFrom": prevFrom, "prevTo": prevTo}))
	err := eachGroup(q, sel, "expenses", "e", 1, func(p []string, s []int64) {
		add(p, "care_spend", s[0])
		add(p, "care_spend_prev", s[1])
	})
	if err != nil {
		return nil, err
	}

	// done visits and their satisfaction
	vkeys, _ := keyExprs(map[string]string{"customer": "v.customer", "tier": "c.tier"}, q.GroupBy)
	sel = q.App.DB().Select(append(vkeys, "COUNT(*)",
		// the rep's rating and the customer's own survey answer count alike,
		// as in customers.satisfaction_avg
		"COUNT(CASE WHEN v.satisfaction > 0 THEN 1 END) + COUNT(CASE WHEN v.survey_rating > 0 THEN 1 END)",
		"CAST(COALESCE(SUM(CASE WHEN v.satisfaction > 0 THEN v.satisfaction END), 0) + "+
			"COALESCE(SUM(CASE WHEN v.survey_rating > 0 THEN v.survey_rating END), 0) AS INTEGER)")...).
		From("visits v").
		LeftJoin("customers c", dbx.NewExp("c.id = v.customer")).
		Where(dbx.HashExp{"v.status": "done"}).
		AndWhere(dbx.Between("v.due_date", q.From, q.To))
	err = eachGroup(q, sel, "visits", "v", 1, func(p []string, s []int64) {
		add(p, "visits_done", s[0])
		add(p, "rated", s[1])
		add(p, "rating_sum", s[2])
	})
	if err != nil {
		return nil, err
	}

	if q.hasComplaints() {
		start, end := q.Instants()
		kkeys, _ := keyExprs(map[string]string{"customer": "k.customer", "tier": "c.tier"}, q.GroupBy)
		sel = q.App.DB().Select(append(kkeys, "COUNT(*)")...).
			From("complaints k").
			LeftJoin("customers c", dbx.NewExp("c.id = k.customer")).
			Where(dbx.NewExp("k.received_at >= {:start} AND k.received_at < {:end}", dbx.Params{"start": start, "end": end}))
		if err := eachGroup(q, sel, "complaints", "k", 1, func(p []string, s []int64) { add(p, "complaints", s[0]) }); err != nil {
			return nil, err
		}
	}

	list, err := rs.list(q, q.GroupBy)
	if err != nil {
		return nil, err
	}
	ratios := func(r map[string]any, get func(string) int64) {
		spend := get("care_spend")
		r["spend_ratio"] = percent(spend, get("annual_contract"))
		r["change"] = percent(spend-get("care_spend_prev"), get("care_spend_prev"))
		r["cost_per_visit"] = nil
		if n := get("visits_done"); n > 0 {
			r["cost_per_visit"] = int64(math.Round(float64(spend) / float64(n)))
		}
		r["satisfaction"] = nil
		if n := get("rated"); n > 0 {
			r["satisfaction"] = math.Round(float64(get("rating_sum"))*100/float64(n)) / 100
		}
	}
	for _, r := range list {
		ratios(r, func(name string) int64 { v, _ := r[name].(int64); return v })
		delete(r, "rated")
		delete(r, "rating_sum")
	}
	totals := map[string]any{}
	for _, c := range roiColumns {
		if c.Kind == Money || c.Kind == Count {
			totals[c.Name] = total[c.Name]
		}
	}
	ratios(totals, func(name string) int64 { return total[name] })
	return &Result{Rows: list, Totals: totals, Columns: roiColumns}, nil
}

// yearBefore is day one year earlier (29 February becomes 1 March).
func yearBefore(day string) string {
	t, _ := time.Parse(time.DateOnly, day)
	return t.AddDate(-1, 0, 0).Format(time.DateOnly)
}

// hasComplaints says whether the complaints collection exists (it comes
// with the complaints feature; until then roi and audit count none).
func (q *Query) hasComplaints() bool {
	_, err := q.App.FindCachedCollectionByNameOrId("complaints")
	return err == nil
}
