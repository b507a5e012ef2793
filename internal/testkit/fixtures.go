package testkit

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/flow"
)

// ApprovedPlan seeds, as the server, an approved plan of budgetYuan for
// rita's customer Acme ("Care for Acme", meals, 30 days either side of
// today).
func (o *Org) ApprovedPlan(t testing.TB, budgetYuan int64) *core.Record {
	t.Helper()
	return MustCreate(t, o.App, nil, "plans", map[string]any{"customer": o.Customers["rita"].Id, "title": "Care for Acme",
		"methods": []string{"meal"}, "period_start": Day(-30), "period_end": Day(30), "budget": Yuan(budgetYuan), "status": "approved"})
}

// Submitted seeds an ApprovedPlan of budgetYuan and rita's expense of
// amountYuan on it ("client lunch", today), then submits the expense: it
// waits for mia, her manager.
func (o *Org) Submitted(t testing.TB, budgetYuan, amountYuan int64) (plan, expense *core.Record) {
	t.Helper()
	plan = o.ApprovedPlan(t, budgetYuan)
	x := MustCreate(t, o.App, nil, "expenses", map[string]any{"plan": plan.Id, "category": "other", "amount": Yuan(amountYuan),
		"incurred_on": Day(0), "description": "client lunch"})
	if err := flow.Expense(o.App, x, "submitted"); err != nil {
		t.Fatal(err)
	}
	return plan, o.Reload(t, x)
}
