package hooks_test

import (
	"maps"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"rapport/internal/testkit"
)

// Fixtures of the business-rule tests. Records are seeded as the server
// (trusted imports), then the behaviour under test goes through REST.

// mkPlan seeds a plan of owner's customer in status, running from 60 days
// ago to 60 days ahead, with a budget in yuan.
func mkPlan(t testing.TB, o *testkit.Org, owner, status string, budgetYuan int64, extra ...map[string]any) *core.Record {
	t.Helper()
	data := map[string]any{"customer": o.Customers[owner].Id, "title": "Care for " + owner, "methods": []string{"visit", "meal"},
		"period_start": testkit.Day(-60), "period_end": testkit.Day(60), "budget": testkit.Yuan(budgetYuan), "status": status}
	for _, e := range extra {
		maps.Copy(data, e)
	}
	return testkit.MustCreate(t, o.App, nil, "plans", data)
}

// mkExpense seeds an expense (draft unless extra says otherwise) of amount
// yuan, category other, incurred today.
func mkExpense(t testing.TB, o *testkit.Org, plan *core.Record, amountYuan int64, extra ...map[string]any) *core.Record {
	t.Helper()
	data := map[string]any{"plan": plan.Id, "category": "other", "amount": testkit.Yuan(amountYuan),
		"incurred_on": testkit.Day(0), "description": "client lunch"}
	for _, e := range extra {
		maps.Copy(data, e)
	}
	return testkit.MustCreate(t, o.App, nil, "expenses", data)
}

// receipt is a PDF upload whose bytes depend on content.
func receipt(t testing.TB, content string) *filesystem.File {
	t.Helper()
	f, err := filesystem.NewFileFromBytes([]byte("%PDF-1.4\n"+content), "receipt.pdf")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// visitDone seeds a done visit at owner's customer on day.
func visitDone(t testing.TB, o *testkit.Org, owner, day string) {
	t.Helper()
	testkit.MustCreate(t, o.App, nil, "visits", map[string]any{"customer": o.Customers[owner].Id, "status": "done", "due_date": day})
}

// reload is the current state of collection/id.
func reload(t testing.TB, app core.App, collection, id string) *core.Record {
	t.Helper()
	r, err := app.FindRecordById(collection, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ref stores r's id in o.Refs under key and returns r.
func ref(o *testkit.Org, key string, r *core.Record) *core.Record {
	o.Refs[key] = r.Id
	return r
}
