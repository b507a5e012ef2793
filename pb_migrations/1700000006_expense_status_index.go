package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// idx_expenses_status (status, incurred_on) is the prefix of
// idx_expenses_budget_sums (1700000004), which serves every query it
// served; keeping both cost each expense insert and status change one more
// B-tree write and WAL page.
func init() {
	m.Register(func(app core.App) error {
		return statusIndex(app, false)
	}, func(app core.App) error {
		return statusIndex(app, true)
	})
}

func statusIndex(app core.App, keep bool) error {
	expenses, err := app.FindCollectionByNameOrId("expenses")
	if err != nil {
		return err
	}
	expenses.RemoveIndex("idx_expenses_status")
	if keep {
		expenses.AddIndex("idx_expenses_status", false, "status, incurred_on", "")
	}
	return app.Save(expenses)
}
