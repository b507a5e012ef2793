package report

import (
	"time"

	"github.com/pocketbase/dbx"
)

// spend: per customer, tier, rep, team, category or month (or two of them,
// "tier,month"): the approved budgets of the plans in range, and what the
// expenses incurred in range committed, had approved and had paid.
var spendReport = definition{
	groupBy:    []string{"customer", "tier", "rep", "team", "category", "month"},
	maxGroupBy: 2,
	run:        spend,
}

var spendColumns = []Column{{"budget", Money}, {"committed", Money}, {"approved", Money},
	{"paid", Money}, {"remaining", Money}, {"utilisation", Percent}}

// expenseKeys are the grouping expressions over expenses e (customers c).
var expenseKeys = map[string]string{
	"customer": "e.customer", "tier": "c.tier", "rep": "e.rep", "team": "e.team",
	"category": "e.category", "month": "substr(e.incurred_on, 1, 7)",
}

// planKeys are the same groupings over plans p (customers c); a plan has
// no category and spans months, so its budget counts only in the totals
// there.
var planKeys = map[string]string{"customer": "p.customer", "tier": "c.tier", "rep": "p.owner", "team": "p.team"}

// committedStatuses are the expense statuses that count as committed.
var committedStatuses = []any{"submitted", "approved", "paid"}

func spend(q *Query) (*Result, error) {
	rs := newRows()
	var total struct{ budget, committed, approved, paid int64 }

	collect := func(parts []string, sums []int64) {
		r := rs.get(parts, spendColumns)
		r["committed"] = r["committed"].(int64) + sums[0]
		r["approved"] = r["approved"].(int64) + sums[1]
		r["paid"] = r["paid"].(int64) + sums[2]
		total.committed += sums[0]
		total.approved += sums[1]
		total.paid += sums[2]
	}
	useSums, err := q.canUseSums()
	if err != nil {
		return nil, err
	}
	firstMonth, lastMonth, edges := q.wholeMonths()
	if !useSums || firstMonth > lastMonth {
		edges = [][2]string{{q.From, q.To}}
	} else if err := spendFromSums(q, firstMonth, lastMonth, collect); err != nil {
		return nil, err
	}
	for _, days := range edges {
		if err := spendFromExpenses(q, days[0], days[1], collect); err != nil {
			return nil, err
		}
	}

	// Budgets: the approved budgets of the plans whose period meets the range.
	pkeys, perRow := keyExprs(planKeys, q.GroupBy)
	if !perRow {
		pkeys = nil
	}
	psel := q.App.DB().Select(append(pkeys, "COALESCE(SUM(p.approved_budget), 0)")...).
		From("plans p").
		Where(dbx.NewExp("p.approved_budget > 0")).
		AndWhere(dbx.NewExp("p.period_start <= {:to} AND p.period_end >= {:from}", dbx.Params{"from": q.From, "to": q.To}))
	if perRow && needsCustomer(q.GroupBy) {
		psel.LeftJoin("customers c", dbx.NewExp("c.id = p.customer"))
	}
	err = eachGroup(q, psel, "plans", "p", len(pkeys), func(parts []string, sums []int64) {
		total.budget += sums[0]
		if perRow {
			r := rs.get(parts, spendColumns)
			r["budget"] = r["budget"].(int64) + sums[0]
		}
	})
	if err != nil {
		return nil, err
	}

	list, err := rs.list(q, q.GroupBy)
	if err != nil {
		return nil, err
	}
	for _, r := range list {
		if !perRow {
			// no budget of its own: remaining and utilisation say nothing
			r["budget"], r["remaining"], r["utilisation"] = nil, nil, nil
			continue
		}
		budget, committed := r["budget"].(int64), r["committed"].(int64)
		r["remaining"], r["utilisation"] = budget-committed, percent(committed, budget)
	}
	return &Result{Rows: list, Columns: spendColumns, Totals: map[string]any{
		"budget": total.budget, "committed": total.committed, "approved": total.approved, "paid": total.paid,
		"remaining": total.budget - total.committed, "utilisation": percent(total.committed, total.budget),
	}}, nil
}

// spendFromExpenses adds up the committed expenses the caller sees
// incurred from..to.
func spendFromExpenses(q *Query, from, to string, fn func(parts []string, sums []int64)) error {
	keys, _ := keyExprs(expenseKeys, q.GroupBy) // every grouping has one
	sel := q.App.DB().Select(append(keys,
		"COALESCE(SUM(e.amount), 0)",
		"COALESCE(SUM(CASE WHEN e.status IN ('approved', 'paid') THEN e.amount END), 0)",
		"COALESCE(SUM(CASE WHEN e.status = 'paid' THEN e.amount END), 0)")...).
		From("expenses e").
		Where(dbx.In("e.status", committedStatuses...)).
		AndWhere(dbx.Between("e.incurred_on", from, to))
	if needsCustomer(q.GroupBy) {
		sel.LeftJoin("customers c", dbx.NewExp("c.id = e.customer"))
	}
	return eachGroup(q, sel, "expenses", "e", len(keys), fn)
}

// sumsKeys are the groupings report_spend_sums s (customers c) can answer.
var sumsKeys = map[string]string{"customer": "s.customer", "tier": "c.tier", "rep": "s.rep", "team": "s.team", "month": "s.month"}

// spendFromSums adds up report_spend_sums for the months first..last.
func spendFromSums(q *Query, first, last string, fn func(parts []string, sums []int64)) error {
	keys, _ := keyExprs(sumsKeys, q.GroupBy)
	sel := q.App.DB().Select(append(keys, "COALESCE(SUM(s.committed), 0)", "COALESCE(SUM(s.approved), 0)", "COALESCE(SUM(s.paid), 0)")...).
		From(sumsTable + " s").
		Where(dbx.Between("s.month", first, last))
	if needsCustomer(q.GroupBy) {
		sel.LeftJoin("customers c", dbx.NewExp("c.id = s.customer"))
	}
	return eachGroup(q, sel, "", "", len(keys), fn)
}

// canUseSums says whether report_spend_sums answers this query: the caller
// sees every expense (the sums know no record's visibility) and every
// grouping is one of its columns.
func (q *Query) canUseSums() (bool, error) {
	cond, err := scope(q.App, q.Auth, "expenses", "e")
	if err != nil || cond != nil {
		return false, err
	}
	_, ok := keyExprs(sumsKeys, q.GroupBy)
	return ok, nil
}

// wholeMonths splits From..To into the whole months it covers (first and
// last as YYYY-MM; first > last when there are none) and the days before
// and after them.
func (q *Query) wholeMonths() (first, last string, edges [][2]string) {
	from, _ := time.Parse(time.DateOnly, q.From)
	to, _ := time.Parse(time.DateOnly, q.To)
	start := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	if !start.Equal(from) {
		start = start.AddDate(0, 1, 0)
	}
	end := time.Date(to.Year(), to.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0) // the month after to's
	if !end.AddDate(0, 0, -1).Equal(to) {
		end = end.AddDate(0, -1, 0)
	}
	if !start.Before(end) {
		return "1", "0", nil
	}
	if from.Before(start) {
		edges = append(edges, [2]string{q.From, start.AddDate(0, 0, -1).Format(time.DateOnly)})
	}
	if to.After(end.AddDate(0, 0, -1)) {
		edges = append(edges, [2]string{end.Format(time.DateOnly), q.To})
	}
	return start.Format("2006-01"), end.AddDate(0, 0, -1).Format("2006-01"), edges
}

// keyExprs returns the grouping expressions of groupBy from exprs, aliased
// k0, k1…; ok is false when a grouping has none there.
func keyExprs(exprs map[string]string, groupBy []string) (keys []string, ok bool) {
	for i, g := range groupBy {
		x, found := exprs[g]
		if !found {
			return nil, false
		}
		keys = append(keys, "COALESCE("+x+", '') AS k"+string(rune('0'+i)))
	}
	return keys, true
}

func needsCustomer(groupBy []string) bool {
	for _, g := range groupBy {
		if g == "tier" {
			return true
		}
	}
	return false
}

// eachGroup scopes sel (over collection as alias) to the caller, groups it
// by its first nkeys columns and calls fn with each group's keys and its
// integer sums (the remaining columns).
func eachGroup(q *Query, sel *dbx.SelectQuery, collection, alias string, nkeys int, fn func(parts []string, sums []int64)) error {
	if collection != "" { // "" for report_spend_sums, read only when the scope is everything
		if err := q.limit(sel, collection, alias); err != nil {
			return err
		}
	}
	for i := 0; i < nkeys; i++ {
		sel.AndGroupBy("k" + string(rune('0'+i))) // GroupBy would replace the keys before it
	}
	rows, err := sel.Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	parts := make([]string, nkeys)
	sums := make([]int64, len(cols)-nkeys)
	dest := make([]any, len(cols))
	for i := range parts {
		dest[i] = &parts[i]
	}
	for i := range sums {
		dest[nkeys+i] = &sums[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		fn(append([]string(nil), parts...), sums)
	}
	return rows.Err()
}
