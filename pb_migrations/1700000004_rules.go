package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Budget sums are recomputed from the expenses when a budget is created or
// reshaped, or a team moves (expense writes adjust them incrementally);
// this covering index lets SQLite sum a budget's scope, category and period
// from the index alone (an org budget over tens of thousands of expenses
// stays a few milliseconds).
func init() {
	m.Register(func(app core.App) error {
		expenses, err := app.FindCollectionByNameOrId("expenses")
		if err != nil {
			return err
		}
		expenses.AddIndex("idx_expenses_budget_sums", false, "status, incurred_on, category, team, rep, amount", "")
		return app.Save(expenses)
	}, func(app core.App) error {
		expenses, err := app.FindCollectionByNameOrId("expenses")
		if err != nil {
			return err
		}
		expenses.RemoveIndex("idx_expenses_budget_sums")
		return app.Save(expenses)
	})
}
