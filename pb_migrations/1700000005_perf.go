package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A submit reads a customer's care spend of the year and counts the rep's
// same-day expenses of the same amount at that customer (possible
// duplicates). The customer index gains amount and status so that the first
// is summed from the index alone and the second seeks to the amount; without
// them SQLite summed through the budget-sums index instead, every committed
// expense of the year (docs/benchmarks.md).
func init() {
	m.Register(func(app core.App) error {
		return customerIndex(app, "customer, incurred_on, amount, status")
	}, func(app core.App) error {
		return customerIndex(app, "customer, incurred_on")
	})
}

func customerIndex(app core.App, columns string) error {
	expenses, err := app.FindCollectionByNameOrId("expenses")
	if err != nil {
		return err
	}
	expenses.RemoveIndex("idx_expenses_customer")
	expenses.AddIndex("idx_expenses_customer", false, columns, "")
	return app.Save(expenses)
}
