package report

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/budget"
)

// budgets: every budget in force during the range (its period meets it),
// with what is committed and spent against it, and the plans whose
// committed spending is over their approved budget. Rows say which they are
// in kind (budget / plan).
var budgetsReport = definition{run: budgets}

var budgetsColumns = []Column{{"kind", Text}, {"scope", Text}, {"period", Text}, {"period_start", Text},
	{"on_exceed", Text}, {"budget", Money}, {"committed", Money}, {"spent", Money}, {"remaining", Money},
	{"utilisation", Percent}, {"status", Text}}

// defaultWarnPercent is warn_at_percent when a budget has none (the hooks
// store 80 on save).
const defaultWarnPercent = 80

func budgets(q *Query) (*Result, error) {
	inForce := dbx.NewExp("b.period_start <= {:to} AND b.period_end >= {:from}", dbx.Params{"from": q.From, "to": q.To})
	found, err := scopedRecords(q, "budgets", "b", inForce, "b.period_start", "b.name")
	if err != nil {
		return nil, err
	}
	var out []Row
	totals := map[string]any{"budgets": int64(0), "warn": int64(0), "exceeded": int64(0), "plans_over_budget": int64(0),
		"budget": int64(0), "committed": int64(0), "spent": int64(0)}
	add := func(k string, v int64) { totals[k] = totals[k].(int64) + v }
	for _, b := range found {
		amount, sums := int64(b.GetInt("amount")), budget.Stored(b)
		warnAt := int64(b.GetInt("warn_at_percent"))
		if warnAt <= 0 {
			warnAt = defaultWarnPercent
		}
		status := "ok"
		switch {
		case sums.Committed > amount:
			status = "exceeded"
		case sums.Committed*100 >= warnAt*amount:
			status = "warn"
		}
		out = append(out, Row{"key": b.Id, "label": b.GetString("name"), "kind": "budget",
			"scope": b.GetString("scope"), "period": b.GetString("period"), "period_start": b.GetString("period_start"),
			"on_exceed": b.GetString("on_exceed"), "budget": amount, "committed": sums.Committed, "spent": sums.Spent,
			"remaining": amount - sums.Committed, "utilisation": percent(sums.Committed, amount), "status": status})
		add("budgets", 1)
		add("budget", amount)
		add("committed", sums.Committed)
		add("spent", sums.Spent)
		if status != "ok" {
			add(status, 1)
		}
	}

	over := dbx.NewExp("p.committed > p.approved_budget AND p.approved_budget > 0 AND p.period_start <= {:to} AND p.period_end >= {:from}",
		dbx.Params{"from": q.From, "to": q.To})
	plans, err := scopedRecords(q, "plans", "p", over, "p.period_start", "p.title")
	if err != nil {
		return nil, err
	}
	for _, p := range plans {
		amount, sums := int64(p.GetInt("approved_budget")), budget.Stored(p)
		label := p.GetString("label")
		if label == "" {
			label = p.GetString("title")
		}
		out = append(out, Row{"key": p.Id, "label": label, "kind": "plan", "scope": "plan", "period": "",
			"period_start": p.GetString("period_start"), "on_exceed": "", "budget": amount,
			"committed": sums.Committed, "spent": sums.Spent, "remaining": amount - sums.Committed,
			"utilisation": percent(sums.Committed, amount), "status": "exceeded"})
		add("plans_over_budget", 1)
	}
	totals["remaining"] = totals["budget"].(int64) - totals["committed"].(int64)
	totals["utilisation"] = percent(totals["committed"].(int64), totals["budget"].(int64))
	if out == nil {
		out = []Row{}
	}
	return &Result{Rows: out, Totals: totals, Columns: budgetsColumns}, nil
}

// scopedRecords lists the records of collection (aliased alias) matching
// where that the caller may list, ordered by orderBy.
func scopedRecords(q *Query, collection, alias string, where dbx.Expression, orderBy ...string) ([]*core.Record, error) {
	c, err := q.App.FindCachedCollectionByNameOrId(collection)
	if err != nil {
		return nil, err
	}
	sel := q.App.RecordQuery(c).From(collection + " " + alias).Select(alias + ".*").AndWhere(where).OrderBy(orderBy...)
	if err := q.limit(sel, collection, alias); err != nil {
		return nil, err
	}
	var out []*core.Record
	return out, sel.All(&out)
}
