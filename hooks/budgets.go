package hooks

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/budget"
	"rapport/internal/org"
	"rapport/internal/violation"
)

// budgetShape are the fields that decide which expenses a budget covers.
var budgetShape = []string{"scope", "team", "rep", "category", "period", "period_start"}

func bindBudgets(app core.App) {
	derive := func(e *core.RecordEvent) error {
		b := e.Record
		end, err := budget.PeriodEnd(b.GetString("period"), b.GetString("period_start"))
		if err != nil {
			return violation.New("period_start", "invalid_period_start", "%s.", err.Error())
		}
		b.Set("period_end", end)
		switch scope := b.GetString("scope"); {
		case scope == "team" && b.GetString("team") == "":
			return violation.New("team", "validation_required", "A team budget needs a team.")
		case scope == "rep" && b.GetString("rep") == "":
			return violation.New("rep", "validation_required", "A rep budget needs a rep.")
		}
		setDefault(b, "on_exceed", "stop")
		if b.GetInt("warn_at_percent") == 0 {
			b.Set("warn_at_percent", 80)
		}
		old := b.Original()
		if b.IsNew() || len(changedFields(b, old, budgetShape)) > 0 {
			sums, err := budget.BudgetSums(e.App, b)
			if err != nil {
				return err
			}
			budget.Apply(b, sums)
		}
		amount, committed := int64(b.GetInt("amount")), int64(b.GetInt("committed"))
		if !b.IsNew() && amount != int64(old.GetInt("amount")) && amount < committed {
			s, err := org.LoadSettings(e.App)
			if err != nil {
				return err
			}
			return violation.New("amount", "budget_below_committed", "Budget %q already has %s committed; its amount cannot go below that (you asked for %s).", old.GetString("name"), money(committed, s.Currency), money(amount, s.Currency))
		}
		return e.Next()
	}
	app.OnRecordCreateExecute("budgets").BindFunc(derive)
	app.OnRecordUpdateExecute("budgets").BindFunc(derive)

	// Moving a team moves its expenses in or out of the team budgets above.
	app.OnRecordUpdate("teams").BindFunc(func(e *core.RecordEvent) error {
		before := e.Record.Original().Get("ancestors")
		if err := e.Next(); err != nil {
			return err
		}
		if sameValue(before, e.Record.Get("ancestors")) {
			return nil
		}
		budgets, err := e.App.FindAllRecords("budgets", dbx.HashExp{"scope": "team"})
		if err != nil {
			return err
		}
		for _, b := range budgets {
			if err := recomputeBudget(e.App, b, e.Record); err != nil {
				return err
			}
		}
		return nil
	})
}

// recomputeBudget stores b's sums, from its expenses, when they changed
// because of a write of cause. Only server fields change, so field
// validation is skipped.
func recomputeBudget(app core.App, b, cause *core.Record) error {
	sums, err := budget.BudgetSums(app, b)
	if err != nil || !budget.Apply(b, sums) {
		return err
	}
	causedBy(b, cause)
	return app.SaveNoValidate(b)
}

// adjust adds d, caused by a write of expense x, to the sums stored on r (a
// plan or budget) and saves it. Only server fields change, so field
// validation is skipped.
func adjust(app core.App, r *core.Record, d budget.Sums, x *core.Record) error {
	if !budget.Apply(r, budget.Stored(r).Plus(d)) {
		return nil
	}
	causedBy(r, x)
	return app.SaveNoValidate(r)
}
