package sync_test

import (
	"testing"

	"rapport/internal/testkit"
)

// TestSnapshotEqualsRESTForEveryone: a pull from nothing, in pages of two,
// gives every user of the standard org exactly what the records API lists
// for them in every synced collection — through ownership, approver,
// deciders (after the decider left the chain), the teams one views, budget
// scopes and staff.
func TestSnapshotEqualsRESTForEveryone(t *testing.T) {
	e := newEnv(t)
	o := e.o
	o.SetOrg(t, map[string]any{"receipt_required_over": testkit.Yuan(10_000)})
	var ritas string
	for _, rep := range []string{"rita", "rob", "ed"} {
		plan := testkit.MustCreate(t, o.App, nil, "plans", map[string]any{"customer": o.Customers[rep].Id, "title": "Care " + rep,
			"period_start": testkit.Day(-10), "period_end": testkit.Day(10), "budget": testkit.Yuan(5000), "status": "approved"})
		for _, amount := range []int64{100, 2000} {
			x := testkit.MustCreate(t, o.App, nil, "expenses", map[string]any{"plan": plan.Id, "category": "other",
				"amount": testkit.Yuan(amount), "incurred_on": testkit.Day(0), "status": "submitted"})
			if rep == "rita" && amount == 2000 {
				ritas = x.Id
			}
		}
	}
	if status, res := e.call("mia", "POST", "/api/collections/approvals/records", map[string]any{"expense": ritas, "decision": "approve", "acknowledge_flags": true}); status != 200 {
		t.Fatal(status, res)
	}
	// mia leaves rita's chain: she keeps the expense as its decider only
	field := o.Reload(t, o.Teams["field"])
	field.Set("manager", o.Users["eve"].Id)
	if err := testkit.Save(o.App, nil, field); err != nil {
		t.Fatal(err)
	}
	o.Budget(t, "org", "warn", 100_000)
	o.Budget(t, "team", "warn", 10_000, map[string]any{"team": o.Teams["sales"].Id})
	o.Budget(t, "rep", "stop", 50_000, map[string]any{"rep": o.Users["rob"].Id})

	for name := range o.Users {
		c := e.client(name, name+"snapshot01")
		c.PullLimit = 2
		mustSync(t, c)
		e.converged(name, c)
	}
}
