package hooks_test

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/testkit"
	"rapport/internal/violation"
)

// A save works from the record as it was read. The records API reads it
// before the rule transaction starts, so another write can commit in
// between; the save must then apply its own changes to the current row,
// and judge them against it, instead of writing back what it read.
func TestSaveOfAStaleCopy(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	plan := mkPlan(t, o, "rita", "approved", 5000)
	rita := o.Users["rita"]

	// a draft edited from a copy read before it was submitted
	x := mkExpense(t, o, plan, 150)
	stale := reload(t, app, "expenses", x.Id)
	fresh := reload(t, app, "expenses", x.Id)
	fresh.Set("status", "submitted")
	if err := testkit.Save(app, rita, fresh); err != nil {
		t.Fatal(err)
	}
	stale.Set("description", "taxi")
	if _, code := violation.Code(testkit.Save(app, rita, stale)); code != "locked" {
		t.Errorf("editing a submitted expense from a stale draft: %q, want locked", code)
	}
	if got := reload(t, app, "expenses", x.Id); got.GetString("status") != "submitted" || got.GetString("description") != "client lunch" {
		t.Errorf("after the stale edit: %s %q", got.GetString("status"), got.GetString("description"))
	}
	sumsAgree(t, app, "stale edit")

	// a change the current row allows: applied on top of it
	y := mkExpense(t, o, plan, 100, map[string]any{"description": "dinner"})
	stale = reload(t, app, "expenses", y.Id)
	fresh = reload(t, app, "expenses", y.Id)
	fresh.Set("amount", testkit.Yuan(180))
	if err := testkit.Save(app, rita, fresh); err != nil {
		t.Fatal(err)
	}
	stale.Set("status", "submitted")
	if err := testkit.Save(app, rita, stale); err != nil {
		t.Fatal(err)
	}
	if got := reload(t, app, "expenses", y.Id); got.GetString("status") != "submitted" || got.GetInt("amount") != int(testkit.Yuan(180)) || got.GetInt("version") != 3 {
		t.Errorf("after the stale submit: %s %d v%d, want submitted 18000 v3", got.GetString("status"), got.GetInt("amount"), got.GetInt("version"))
	}
	sumsAgree(t, app, "stale submit")

	// a stale delete removes what is there now
	z := mkExpense(t, o, plan, 50, map[string]any{"description": "coffee"})
	stale = reload(t, app, "expenses", z.Id)
	fresh = reload(t, app, "expenses", z.Id)
	fresh.Set("status", "submitted")
	if err := testkit.Save(app, rita, fresh); err != nil {
		t.Fatal(err)
	}
	actor.Bind(stale, actor.FromAuth(rita))
	if _, code := violation.Code(app.Delete(stale)); code != "locked" {
		t.Errorf("deleting a submitted expense from a stale draft: %q, want locked", code)
	}
	sumsAgree(t, app, "stale delete")
}

// Through REST: the records API reads the expense, then the rep's submit
// from another device commits before this PATCH's transaction starts.
func TestRESTUpdateAfterAConcurrentWrite(t *testing.T) {
	submittedMeanwhile := func(t testing.TB, o *testkit.Org) {
		ref(o, "x", mkExpense(t, o, mkPlan(t, o, "rita", "approved", 5000), 150))
		o.App.OnRecordUpdateRequest("expenses").BindFunc(func(e *core.RecordRequestEvent) error {
			other := reload(t, e.App, "expenses", e.Record.Id)
			other.Set("status", "submitted")
			if err := testkit.Save(e.App, o.Users["rita"], other); err != nil {
				return err
			}
			return e.Next()
		})
	}
	deletedMeanwhile := func(t testing.TB, o *testkit.Org) {
		ref(o, "x", mkExpense(t, o, mkPlan(t, o, "rita", "approved", 5000), 150))
		o.App.OnRecordUpdateRequest("expenses").BindFunc(func(e *core.RecordRequestEvent) error {
			gone := reload(t, e.App, "expenses", e.Record.Id)
			actor.AsServer(gone)
			if err := e.App.Delete(gone); err != nil {
				return err
			}
			return e.Next()
		})
	}
	for _, c := range []testkit.Case{
		{Name: "an expense deleted meanwhile", As: "rita", Method: "PATCH", URL: expenseURL, Body: `{"description":"taxi"}`,
			Setup: deletedMeanwhile, Status: 404, Contains: []string{"deleted meanwhile"},
			Check: func(t testing.TB, o *testkit.Org) {
				if n, _ := o.App.CountRecords("expenses"); n != 0 {
					t.Errorf("%d expenses, want 0", n)
				}
			}},
		{Name: "an edit the submit locked", As: "rita", Method: "PATCH", URL: expenseURL, Body: `{"description":"taxi"}`,
			Setup: submittedMeanwhile, Status: 400, Contains: []string{`"description":{"code":"locked"`},
			Check: func(t testing.TB, o *testkit.Org) { sumsAgree(t, o.App, "locked edit") }},
		{Name: "the same submit again: nothing more to do", As: "rita", Method: "PATCH", URL: expenseURL, Body: `{"status":"submitted"}`,
			Setup: submittedMeanwhile, Status: 200, Contains: []string{`"status":"submitted"`},
			Check: func(t testing.TB, o *testkit.Org) { sumsAgree(t, o.App, "resubmit") }},
	} {
		c.Run(t)
	}
}
