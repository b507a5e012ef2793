package hooks_test

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/testkit"
)

// Rule overhead on the hot paths, against a plain record create:
// go test ./hooks -run '^$' -bench . -benchtime 2s
func BenchmarkWrites(b *testing.B) {
	app := testkit.NewApp(b)
	o := testkit.NewOrg(b, app)
	plan := mkPlan(b, o, "rita", "approved", 100_000_000)
	mkBudget(b, o, "org", "warn", 100_000_000)
	mkBudget(b, o, "team", "warn", 100_000_000, map[string]any{"team": o.Teams["sales"].Id})
	setOrg(b, o, map[string]any{"receipt_required_over": testkit.Yuan(1_000_000)})
	expenses, _ := app.FindCollectionByNameOrId("expenses")

	plain := core.NewBaseCollection("plain")
	plain.Fields.Add(&core.TextField{Name: "plan"}, &core.NumberField{Name: "amount"}, &core.TextField{Name: "incurred_on"},
		&core.TextField{Name: "description"}, &core.TextField{Name: "category"})
	plain.CreateRule = types.Pointer(`@request.auth.id != ""`)
	if err := app.Save(plain); err != nil {
		b.Fatal(err)
	}
	data := func() map[string]any {
		return map[string]any{"plan": plan.Id, "category": "other", "amount": 1000, "incurred_on": dayAt(0), "description": "lunch"}
	}

	b.Run("plain create", func(b *testing.B) {
		for b.Loop() {
			r := core.NewRecord(plain)
			r.Load(data())
			if err := app.Save(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	c := testkit.NewClient(b, o)
	for _, collection := range []string{"plain", "expenses"} {
		b.Run("REST "+collection+" create", func(b *testing.B) {
			for b.Loop() {
				if res := c.Do("rita", "POST", "/api/collections/"+collection+"/records", data()); res.Status != 200 {
					b.Fatal(string(res.Body))
				}
			}
		})
	}
	b.Run("expense create", func(b *testing.B) {
		for b.Loop() {
			r := core.NewRecord(expenses)
			r.Load(data())
			if err := testkit.Save(app, o.Users["rita"], r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("expense create+submit", func(b *testing.B) {
		for b.Loop() {
			r := core.NewRecord(expenses)
			r.Load(data())
			r.Set("status", "submitted")
			if err := testkit.Save(app, o.Users["rita"], r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
