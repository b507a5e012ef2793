package hooks_test

import (
	"fmt"
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
	o.Budget(b, "org", "warn", 100_000_000)
	o.Budget(b, "team", "warn", 100_000_000, map[string]any{"team": o.Teams["sales"].Id})
	o.SetOrg(b, map[string]any{"receipt_required_over": testkit.Yuan(1_000_000)})
	expenses, _ := app.FindCollectionByNameOrId("expenses")

	plain := core.NewBaseCollection("plain")
	plain.Fields.Add(&core.TextField{Name: "plan"}, &core.NumberField{Name: "amount"}, &core.TextField{Name: "incurred_on"},
		&core.TextField{Name: "description"}, &core.TextField{Name: "category"})
	plain.CreateRule = types.Pointer(`@request.auth.id != ""`)
	if err := app.Save(plain); err != nil {
		b.Fatal(err)
	}
	data := func() map[string]any {
		return map[string]any{"plan": plan.Id, "category": "other", "amount": 1000, "incurred_on": testkit.Day(0), "description": "lunch"}
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
			submitOne(b, o, plan)
		}
	})
}

// The cost of a submit must not grow with the expenses its budgets cover:
// org and team budgets that already cover n submitted expenses (of another
// rep's plan, inserted straight into the table).
// go test ./hooks -run '^$' -bench SubmitAtScale -benchtime 300x
func BenchmarkSubmitAtScale(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("%d expenses", n), func(b *testing.B) {
			app := testkit.NewApp(b)
			o := testkit.NewOrg(b, app)
			plan := mkPlan(b, o, "rita", "approved", 100_000_000)
			other := mkPlan(b, o, "rob", "approved", 100_000_000)
			o.Budget(b, "org", "warn", 100_000_000)
			o.Budget(b, "team", "warn", 100_000_000, map[string]any{"team": o.Teams["sales"].Id})
			o.SetOrg(b, map[string]any{"receipt_required_over": testkit.Yuan(1_000_000)})
			_, err := app.DB().NewQuery(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < {:n})
				INSERT INTO expenses (id, plan, customer, rep, team, category, amount, currency, incurred_on, status, description)
				SELECT printf('seed%011d', i), {:plan}, {:customer}, {:rep}, {:team}, 'other', 1000, 'CNY', {:day}, 'submitted', 'seeded' FROM n`).
				Bind(map[string]any{"n": n, "plan": other.Id, "customer": o.Customers["rob"].Id, "rep": o.Users["rob"].Id,
					"team": o.Users["rob"].GetString("team"), "day": testkit.Day(0)}).Execute()
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				submitOne(b, o, plan)
			}
		})
	}
}

// submitOne creates and submits an expense on plan as rita, of 0.01 yuan
// so that no number of them reaches the customer's yearly care cap.
func submitOne(b *testing.B, o *testkit.Org, plan *core.Record) {
	expenses, _ := o.App.FindCachedCollectionByNameOrId("expenses")
	r := core.NewRecord(expenses)
	r.Load(map[string]any{"plan": plan.Id, "category": "other", "amount": 1, "incurred_on": testkit.Day(0), "description": "lunch", "status": "submitted"})
	if err := testkit.Save(o.App, o.Users["rita"], r); err != nil {
		b.Fatal(err)
	}
}
