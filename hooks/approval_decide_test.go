package hooks_test

import (
	neturl "net/url"
	"slices"
	"sync"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/testkit"
)

// TestMovedRepIsDecidedWhereCharged: after rita moves from field to east,
// her pending expense stays charged to field and waits for field's
// manager, who owns the charged budget and decides it (before: routed to
// east's manager, and field's got not_approver).
func TestMovedRepIsDecidedWhereCharged(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	plan := mkPlan(t, o, "rita", "approved", 1000)
	x := mkExpense(t, o, plan, 100, map[string]any{"status": "submitted"})
	if res := c.Do("ada", "PATCH", "/api/collections/users/records/{user:rita}", `{"team":"{team:east}"}`); res.Status != 200 {
		t.Fatal(res.Status, string(res.Body))
	}
	if got := reload(t, app, "expenses", x.Id); got.GetString("approver") != o.Users["mia"].Id || got.GetString("team") != o.Teams["field"].Id {
		t.Errorf("after the move the expense waits for %s, charged to %s; want mia, field", nameOf(o, got.GetString("approver")), got.GetString("team"))
	}
	if res := c.Do("mia", "POST", approvalURL, map[string]any{"expense": x.Id, "decision": "approve", "acknowledge_flags": true}); res.Status != 200 || res.JSON()["final"] != true {
		t.Errorf("field's manager decides the expense charged to field: %d %s", res.Status, res.Body)
	}
}

// TestDecidersKeepSight: whoever decided a plan or expense keeps read
// access to it and its approvals, after leaving the chain.
func TestDecidersKeepSight(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	o.SetOrg(t, map[string]any{"receipt_required_over": testkit.Yuan(10_000)})
	plan := mkPlan(t, o, "rita", "submitted", 2000)
	x := mkExpense(t, o, mkPlan(t, o, "rita", "approved", 5000), 2000, map[string]any{"status": "submitted"})
	for _, target := range []map[string]any{{"plan": plan.Id}, {"expense": x.Id}} {
		target["decision"], target["acknowledge_flags"] = "approve", true
		if res := c.Do("mia", "POST", approvalURL, target); res.Status != 200 || res.JSON()["final"] != false {
			t.Fatalf("mia's approval (limit 1,000 yuan) of 2,000: %d %s", res.Status, res.Body)
		}
	}
	// mia leaves: eve manages field now (rita's chain: eve, dana).
	if res := c.Do("ada", "PATCH", "/api/collections/teams/records/{team:field}", `{"manager":"{user:eve}"}`); res.Status != 200 {
		t.Fatal(res.Status, string(res.Body))
	}
	for _, r := range []struct{ collection, id, field string }{{"plans", plan.Id, "plan"}, {"expenses", x.Id, "expense"}} {
		if res := c.Do("mia", "GET", "/api/collections/"+r.collection+"/records/"+r.id, nil); res.Status != 200 {
			t.Errorf("mia opens the %s she decided: %d", r.field, res.Status)
		}
		if res := c.Do("dana", "POST", approvalURL, map[string]any{r.field: r.id, "decision": "approve", "acknowledge_flags": true}); res.Status != 200 {
			t.Fatalf("dana decides: %d %s", res.Status, res.Body)
		}
		res := c.Do("mia", "GET", "/api/collections/approvals/records?filter=("+r.field+"='"+r.id+"')", nil)
		if n, _ := res.JSON()["totalItems"].(float64); n != 2 {
			t.Errorf("mia lists the approvals of the %s she decided: %v, want hers and dana's", r.field, res.JSON()["totalItems"])
		}
		if got := reload(t, app, r.collection, r.id).GetStringSlice("deciders"); !slices.Equal(got, []string{o.Users["mia"].Id, o.Users["dana"].Id}) {
			t.Errorf("%s deciders %v, want mia and dana", r.field, got)
		}
	}
	if res := c.Do("ed", "GET", "/api/collections/expenses/records/"+x.Id, nil); res.Status != 404 {
		t.Errorf("ed, who decided nothing, opens it: %d", res.Status)
	}
}

// TestFinanceInbox: a request waiting for "any finance user" is in every
// active finance user's queue (the finance queue filter of the README),
// not only in that of the finance user recorded as its approver; when two
// decide at once, the first wins and the other is told it is decided.
func TestFinanceInbox(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	gus := core.NewRecord(o.Reload(t, o.Users["fay"]).Collection())
	gus.Load(map[string]any{"name": "gus", "role": "finance", "active": true, "team": o.Teams["hq"].Id})
	gus.SetEmail("gus@example.com")
	gus.SetPassword("password123")
	if err := testkit.Save(app, nil, gus); err != nil {
		t.Fatal(err)
	}
	o.Users["gus"] = gus
	plan := mkPlan(t, o, "rita", "approved", 5000)
	o.Budget(t, "rep", "escalate", 100, map[string]any{"rep": o.Users["rita"].Id})
	x := mkExpense(t, o, plan, 150, map[string]any{"status": "submitted"})
	if res := c.Do("mia", "POST", approvalURL, map[string]any{"expense": x.Id, "decision": "approve", "acknowledge_flags": true}); res.Status != 200 {
		t.Fatal(res.Status, string(res.Body))
	}
	for _, who := range []string{"fay", "gus"} {
		res := c.Do(who, "GET", "/api/collections/expenses/records?filter="+neturl.QueryEscape("status='submitted' && approver.role='finance' && rep!='"+o.Users[who].Id+"'"), nil)
		if n, _ := res.JSON()["totalItems"].(float64); res.Status != 200 || n != 1 {
			t.Errorf("%s's finance queue: %d %s", who, res.Status, res.Body)
		}
	}
	var wg sync.WaitGroup
	results := make(chan testkit.Response, 2)
	for _, who := range []string{"fay", "gus"} {
		wg.Go(func() {
			results <- c.Do(who, "POST", approvalURL, map[string]any{"expense": x.Id, "decision": "approve", "acknowledge_flags": true})
		})
	}
	wg.Wait()
	close(results)
	won := 0
	for res := range results {
		switch {
		case res.Status == 200:
			won++
		case res.Status != 400 || res.Code("decision") != "invalid_transition":
			t.Errorf("the second finance decision: %d %s", res.Status, res.Body)
		}
	}
	if n, _ := app.CountRecords("approvals", dbx.HashExp{"expense": x.Id}); won != 1 || n != 2 {
		t.Errorf("%d finance decisions won, %d approvals on record; want 1 and 2 (mia's, one finance)", won, n)
	}
	if got := reload(t, app, "expenses", x.Id).GetString("status"); got != "approved" {
		t.Errorf("the expense is %s", got)
	}
}

// decision_note is the deciding approval's note: a server field.
func TestDecisionNoteIsTheApprovals(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	plan := mkPlan(t, o, "rita", "approved", 5000)
	draft := mkExpense(t, o, plan, 100)
	pending := mkExpense(t, o, plan, 200)
	if res := c.Do("rita", "PATCH", url(pending), submit); res.Status != 200 {
		t.Fatalf("submit: %s", res.Body)
	}
	note := map[string]any{"decision_note": "approved, says me"}
	for _, tc := range []struct {
		as string
		r  *core.Record
	}{{"rita", draft}, {"rita", pending}, {"mia", pending}, {"ada", pending}, {"superuser", pending}, {"rita", plan}} {
		for how, res := range map[string]testkit.Response{"REST": c.Do(tc.as, "PATCH", url(tc.r), note), "batch": batchOne(c, tc.as, "PATCH", url(tc.r), note)} {
			if res.Status != 400 || res.Code("decision_note") != "read_only" {
				t.Errorf("%s writes decision_note on %s (%s): %d %s", tc.as, tc.r.Collection().Name, how, res.Status, res.Body)
			}
		}
	}
	res := c.Do("rita", "POST", "/api/collections/plans/records", map[string]any{"customer": o.Customers["rita"].Id, "title": "Q1",
		"period_start": testkit.Day(0), "period_end": testkit.Day(30), "budget": 100, "decision_note": "pre-approved"})
	if res.Status != 400 || res.Code("decision_note") != "read_only" {
		t.Errorf("a plan created with a decision note: %d %s", res.Status, res.Body)
	}
	if res := c.Do("mia", "POST", approvalURL, map[string]any{"expense": pending.Id, "decision": "reject", "note": "no receipt"}); res.Status != 200 {
		t.Fatalf("reject: %s", res.Body)
	}
	if got := reload(t, app, "expenses", pending.Id).GetString("decision_note"); got != "no receipt" {
		t.Errorf("decision_note %q, want the rejection's note", got)
	}
}
