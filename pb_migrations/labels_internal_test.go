package migrations

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"rapport/hooks"
	"rapport/internal/flow"
)

// TestLabelBackfill: the migration labels existing plans and expenses
// exactly as the write hook labels new ones.
func TestLabelBackfill(t *testing.T) {
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	hooks.Register(app)
	create := func(collection string, data map[string]any) *core.Record {
		r, err := flow.Create(app, nil, collection, data)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	rep := create("users", map[string]any{"email": "li@example.com", "password": "password123", "role": "rep", "active": true})
	customer := create("customers", map[string]any{"name": "北京华联", "owner": rep.Id, "annual_contract_amount": 1})
	plan := create("plans", map[string]any{"customer": customer.Id, "title": "春季关怀", "period_start": "2026-03-01",
		"period_end": "2026-05-31", "budget": 500000})
	expense := create("expenses", map[string]any{"plan": plan.Id, "category": "meal", "amount": 123456789,
		"incurred_on": "2026-03-02"})

	want := map[string]string{
		plan.Id:    "北京华联 · li@example.com · 春季关怀 (2026-03-01 – 2026-05-31)",
		expense.Id: "北京华联 · meal · 1,234,567.89 CNY",
	}
	check := func(when string) {
		for _, r := range []*core.Record{plan, expense} {
			fresh, err := app.FindRecordById(r.Collection().Name, r.Id)
			if err != nil {
				t.Fatal(err)
			}
			if got := fresh.GetString("label"); got != want[r.Id] {
				t.Errorf("%s: %s label %q, want %q", when, r.Collection().Name, got, want[r.Id])
			}
		}
	}
	check("written")
	for _, table := range []string{"plans", "expenses"} {
		if _, err := app.DB().NewQuery("UPDATE " + table + " SET label = ''").Execute(); err != nil {
			t.Fatal(err)
		}
	}
	for _, sql := range labelBackfill {
		if _, err := app.DB().NewQuery(sql).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	check("backfilled")
}
