// Package budget matches expenses to budgets and sums what is committed and
// spent against budgets and plans. An expense write adjusts the stored sums
// by the difference between the expense's old and new Share (inside the
// write's transaction, so SQLite's single writer keeps them exact); they
// are recomputed from the expenses with SQL only when what a budget
// covers changes (a new or reshaped budget, a team moved in the tree).
package budget

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/txstate"
)

// committedStatuses are those whose expenses count as committed; approved
// and paid ones count as spent too (Share, and the CASE in sum).
var committedStatuses = []any{"submitted", "approved", "paid"}

// Share is what expense x adds to the sums of its plan and budgets.
func Share(x *core.Record) Sums {
	amount := int64(x.GetInt("amount"))
	switch x.GetString("status") {
	case "approved", "paid":
		return Sums{Committed: amount, Spent: amount}
	case "submitted":
		return Sums{Committed: amount}
	}
	return Sums{}
}

// Target is what a budget is matched on: an expense's dimensions.
type Target struct {
	Team, Rep, Category, Day string
}

// Of returns the budget dimensions of expense x.
func Of(x *core.Record) Target {
	return Target{Team: x.GetString("team"), Rep: x.GetString("rep"), Category: x.GetString("category"), Day: x.GetString("incurred_on")}
}

// Matching returns the budgets covering t: the org's, those of t's team or
// any team above it, and the rep's, whose category is empty or t's and
// whose period contains t's day.
func Matching(app core.App, t Target) ([]*core.Record, error) {
	if t.Day == "" {
		return nil, nil
	}
	scope := dbx.Or(dbx.HashExp{"scope": "org"}, dbx.HashExp{"scope": "rep", "rep": t.Rep})
	if t.Team != "" {
		// the team and those above it, read once per transaction
		lineage, err := txstate.Read(app, "teams", "ancestors/"+t.Team, func() (types.JSONArray[string], error) {
			var lineage types.JSONArray[string]
			err := app.DB().Select("ancestors").From("teams").Where(dbx.HashExp{"id": t.Team}).Row(&lineage)
			if errors.Is(err, sql.ErrNoRows) {
				err = nil
			}
			return lineage, err
		})
		if err != nil {
			return nil, err
		}
		ancestors := []any{t.Team}
		for _, id := range lineage {
			if id != t.Team { // the lineage starts with the team itself
				ancestors = append(ancestors, id)
			}
		}
		scope = dbx.Or(scope, dbx.And(dbx.HashExp{"scope": "team"}, dbx.In("team", ancestors...)))
	}
	var budgets []*core.Record
	err := app.RecordQuery("budgets").
		Where(dbx.NewExp("period_start <= {:day} AND period_end >= {:day}", dbx.Params{"day": t.Day})).
		AndWhere(dbx.Or(dbx.HashExp{"category": ""}, dbx.HashExp{"category": t.Category})).
		AndWhere(scope).
		OrderBy("id").
		All(&budgets)
	return budgets, err
}

// Sums are the committed and spent totals of a budget or plan.
type Sums struct {
	Committed int64 `db:"committed"`
	Spent     int64 `db:"spent"`
}

func sum(app core.App, where dbx.Expression) (Sums, error) {
	var s Sums
	err := app.DB().Select(
		"COALESCE(SUM(amount), 0) AS committed",
		"COALESCE(SUM(CASE WHEN status IN ('approved','paid') THEN amount ELSE 0 END), 0) AS spent").
		From("expenses").
		Where(dbx.In("status", committedStatuses...)).
		AndWhere(where).
		One(&s)
	return s, err
}

// BudgetSums are the totals of the expenses in b's scope, category and period.
func BudgetSums(app core.App, b *core.Record) (Sums, error) {
	where := dbx.And(dbx.NewExp("incurred_on >= {:start} AND incurred_on <= {:end}",
		dbx.Params{"start": b.GetString("period_start"), "end": b.GetString("period_end")}))
	if c := b.GetString("category"); c != "" {
		where = dbx.And(where, dbx.HashExp{"category": c})
	}
	switch b.GetString("scope") {
	case "team":
		where = dbx.And(where, dbx.NewExp(
			"team IN (SELECT t.id FROM teams t, json_each(t.ancestors) a WHERE a.value = {:team})",
			dbx.Params{"team": b.GetString("team")}))
	case "rep":
		where = dbx.And(where, dbx.HashExp{"rep": b.GetString("rep")})
	}
	return sum(app, where)
}

// PlanSums are the committed and spent totals of plan id.
func PlanSums(app core.App, planId string) (Sums, error) {
	return sum(app, dbx.HashExp{"plan": planId})
}

// CareSpend is the committed spend at customer in the calendar year of day.
func CareSpend(app core.App, customerId, day string) (int64, error) {
	if len(day) < 4 {
		return 0, nil
	}
	s, err := sum(app, dbx.And(dbx.HashExp{"customer": customerId},
		dbx.NewExp("incurred_on >= {:from} AND incurred_on <= {:to}", dbx.Params{"from": day[:4] + "-01-01", "to": day[:4] + "-12-31"})))
	return s.Committed, err
}

// Stored are the sums stored on r (a budget or plan).
func Stored(r *core.Record) Sums {
	return Sums{Committed: int64(r.GetInt("committed")), Spent: int64(r.GetInt("spent"))}
}

// Plus returns s with d added.
func (s Sums) Plus(d Sums) Sums {
	return Sums{Committed: s.Committed + d.Committed, Spent: s.Spent + d.Spent}
}

// Minus returns s with d taken away.
func (s Sums) Minus(d Sums) Sums {
	return Sums{Committed: s.Committed - d.Committed, Spent: s.Spent - d.Spent}
}

// Apply stores s on r (a budget or plan); it reports whether r changed.
func Apply(r *core.Record, s Sums) bool {
	if Stored(r) == s {
		return false
	}
	r.Set("committed", s.Committed)
	r.Set("spent", s.Spent)
	return true
}

// PeriodEnd is the last day of the period starting on start; start must be
// the first day of a month, quarter or year.
func PeriodEnd(period, start string) (string, error) {
	t, err := time.Parse(time.DateOnly, start)
	if err != nil {
		return "", fmt.Errorf("%q is not a day (YYYY-MM-DD)", start)
	}
	months := map[string]int{"month": 1, "quarter": 3, "year": 12}[period]
	switch {
	case months == 0:
		return "", fmt.Errorf("unknown period %q", period)
	case t.Day() != 1,
		period == "quarter" && (t.Month()-1)%3 != 0,
		period == "year" && t.Month() != time.January:
		return "", fmt.Errorf("a %s budget must start on the first day of a %s", period, period)
	}
	return t.AddDate(0, months, -1).Format(time.DateOnly), nil
}
