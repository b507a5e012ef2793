package hooks_test

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/testkit"
)

// TestTeamMoveKeepsExpensesCharged: an expense is charged to the team it
// was submitted in. When rita moves from field to east, her submitted,
// approved, rejected and paid expenses stay in field's budgets (east's
// stop budget would otherwise be overspent behind its back); the pending
// one is still decided in field's chain, by the manager who owns field's
// budget; field's manager still sees what was charged to field. Her draft goes with her and is
// charged to east when submitted, and so is an expense she withdraws or
// reopens after the move.
func TestTeamMoveKeepsExpensesCharged(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	o.SetOrg(t, map[string]any{"receipt_required_over": testkit.Yuan(10_000)})
	visitDone(t, o, "rita", testkit.Day(0))
	plan := mkPlan(t, o, "rita", "approved", 5000)
	field := o.Budget(t, "team", "stop", 1000, map[string]any{"name": "field", "team": o.Teams["field"].Id})
	east := o.Budget(t, "team", "stop", 300, map[string]any{"name": "east", "team": o.Teams["east"].Id})
	hq := o.Budget(t, "team", "warn", 10_000, map[string]any{"name": "hq", "team": o.Teams["hq"].Id}) // above both

	url := func(x *core.Record) string { return "/api/collections/expenses/records/" + x.Id }
	do := func(as, method, url string, body any) map[string]any {
		t.Helper()
		res := c.Do(as, method, url, body)
		if res.Status != 200 {
			t.Fatalf("%s %s %s: %d %s", as, method, url, res.Status, res.Body)
		}
		return res.JSON()
	}
	decide := func(as string, x *core.Record, decision string) map[string]any {
		t.Helper()
		return do(as, "POST", approvalURL, map[string]any{"expense": x.Id, "decision": decision, "acknowledge_flags": true})
	}
	sums := func(step string, b *core.Record, committed, spent int64) {
		t.Helper()
		r := reload(t, app, "budgets", b.Id)
		if int64(r.GetInt("committed")) != testkit.Yuan(committed) || int64(r.GetInt("spent")) != testkit.Yuan(spent) {
			t.Errorf("%s: budget %s committed/spent %d/%d yuan, want %d/%d", step, r.GetString("name"),
				r.GetInt("committed")/100, r.GetInt("spent")/100, committed, spent)
		}
	}
	teamOf := func(x *core.Record) string {
		for name, team := range o.Teams {
			if team.Id == reload(t, app, "expenses", x.Id).GetString("team") {
				return name
			}
		}
		return "?"
	}
	expense := func(yuan int64, description string) *core.Record {
		return mkExpense(t, o, plan, yuan, map[string]any{"description": description})
	}

	// rita's expenses in field: paid 200, approved 150, pending 100, another
	// pending 50 she will withdraw, rejected 80, and a draft of 250.
	paid, approved, pending, withdrawn, rejected, draft := expense(200, "paid"), expense(150, "approved"),
		expense(100, "pending"), expense(50, "withdrawn"), expense(80, "rejected"), expense(250, "draft")
	for _, x := range []*core.Record{paid, approved, pending, withdrawn, rejected} {
		do("rita", "PATCH", url(x), submit)
	}
	decide("mia", paid, "approve")
	decide("mia", approved, "approve")
	decide("mia", rejected, "reject")
	do("fay", "PATCH", url(paid), `{"status":"paid"}`)
	sums("before the move", field, 500, 350)
	sums("before the move", east, 0, 0)
	sums("before the move", hq, 500, 350)
	settledVersion := map[string]int{}
	for _, x := range []*core.Record{paid, approved, rejected} {
		settledVersion[x.Id] = reload(t, app, "expenses", x.Id).GetInt("version")
	}

	// ada moves rita to east.
	do("ada", "PATCH", "/api/collections/users/records/{user:rita}", `{"team":"{team:east}"}`)
	sumsAgree(t, app, "after the move")
	sums("after the move", field, 500, 350)
	sums("after the move (500 would overspend its 300)", east, 0, 0)
	sums("after the move", hq, 500, 350)
	for _, x := range []*core.Record{paid, approved, pending, withdrawn, rejected} {
		if got := teamOf(x); got != "field" {
			t.Errorf("%s expense charged to %s after the move, want field", x.GetString("description"), got)
		}
	}
	for _, x := range []*core.Record{paid, approved, rejected} {
		if v := reload(t, app, "expenses", x.Id).GetInt("version"); v != settledVersion[x.Id] {
			t.Errorf("%s expense saved again by the move: version %d → %d", x.GetString("description"), settledVersion[x.Id], v)
		}
	}
	if got := teamOf(draft); got != "east" {
		t.Errorf("the draft is in %s after the move, want east", got)
	}
	if got := teamOf(mkExpense(t, o, plan, 10)); got != "east" {
		t.Errorf("a new expense is in %s, want east", got)
	}

	// Field's manager still sees what is charged to field, the draft no
	// longer, and still decides the pending ones; east's manager sees none.
	for _, x := range []*core.Record{paid, approved, pending, rejected} {
		if res := c.Do("mia", "GET", url(x), nil); res.Status != 200 {
			t.Errorf("mia views the %s expense charged to field: %d", x.GetString("description"), res.Status)
		}
	}
	if res := c.Do("mia", "GET", url(draft), nil); res.Status != 404 {
		t.Errorf("mia views rita's draft that moved to east: %d", res.Status)
	}
	for _, x := range []*core.Record{paid, approved, pending, rejected} {
		if res := c.Do("eve", "GET", url(x), nil); res.Status != 404 {
			t.Errorf("eve views the %s expense charged to field: %d", x.GetString("description"), res.Status)
		}
	}
	for _, x := range []*core.Record{pending, withdrawn} {
		got := reload(t, app, "expenses", x.Id)
		if got.GetString("approver") != o.Users["mia"].Id || got.GetInt("approval_level") != 1 {
			t.Errorf("the %s expense waits for %s at level %d, want mia at 1", x.GetString("description"),
				nameOf(o, got.GetString("approver")), got.GetInt("approval_level"))
		}
	}
	queue := do("mia", "GET", "/api/collections/expenses/records?filter=(approver='{user:mia}'%26%26status='submitted')", nil)
	if n, _ := queue["totalItems"].(float64); n != 2 {
		t.Errorf("mia's queue holds %v expenses, want rita's 2 pending ones", queue["totalItems"])
	}

	// Field's chain decides what is charged to field; east's does not.
	if res := c.Do("eve", "POST", approvalURL, map[string]any{"expense": pending.Id, "decision": "approve", "acknowledge_flags": true}); res.Status != 404 {
		t.Errorf("eve, outside field's chain, decides: %d %s", res.Status, res.Body)
	}
	if ap := decide("mia", pending, "approve"); ap["final"] != true {
		t.Errorf("mia's approval is not final: %v", ap)
	}
	if got := teamOf(pending); got != "field" {
		t.Errorf("the approved expense moved to %s", got)
	}
	sums("after mia approved", field, 500, 450)
	sums("after mia approved", east, 0, 0)

	// Paying after the move, and a server save that tries to move it: field.
	do("fay", "PATCH", url(approved), `{"status":"paid"}`)
	x := reload(t, app, "expenses", paid.Id)
	x.Set("team", o.Teams["east"].Id)
	x.Set("decision_note", "audited")
	if err := testkit.Save(app, nil, x); err != nil {
		t.Fatal(err)
	}
	for _, x := range []*core.Record{approved, paid} {
		if got := teamOf(x); got != "field" {
			t.Errorf("the %s expense is charged to %s after a later save, want field", x.GetString("description"), got)
		}
	}
	sums("after later saves", field, 500, 450)
	sums("after later saves", east, 0, 0)

	// The draft is charged to east when submitted.
	if got := do("rita", "PATCH", url(draft), submit); got["team"] != o.Teams["east"].Id || got["approver"] != o.Users["eve"].Id {
		t.Errorf("the draft submitted after the move: team %v approver %v", got["team"], nameOf(o, got["approver"].(string)))
	}
	sums("draft submitted", field, 500, 450)
	sums("draft submitted", east, 250, 0)

	// Withdrawn, it follows rita to east again (drafts are not committed),
	// and submitted again it meets east's stop budget.
	if got := do("rita", "PATCH", url(withdrawn), `{"status":"draft"}`); got["team"] != o.Teams["east"].Id {
		t.Errorf("the withdrawn expense is in %v, want east", got["team"])
	}
	sums("withdrawn", field, 450, 450)
	sums("withdrawn", east, 250, 0)
	do("rita", "PATCH", url(withdrawn), submit)
	sums("resubmitted", field, 450, 450)
	sums("resubmitted", east, 300, 0)
	if res := c.Do("rita", "PATCH", url(withdrawn), `{"status":"draft"}`); res.Status != 200 {
		t.Fatalf("withdraw again: %s", res.Body)
	}
	do("rita", "PATCH", url(withdrawn), `{"amount":5100}`)
	if res := c.Do("rita", "PATCH", url(withdrawn), submit); res.Code("amount") != "budget_exceeded" {
		t.Errorf("51 yuan more against east's 300 with 250 committed: %d %s", res.Status, res.Body)
	}

	// Reopened after rejection, it follows rita too.
	if got := do("rita", "PATCH", url(rejected), `{"status":"draft"}`); got["team"] != o.Teams["east"].Id {
		t.Errorf("the reopened expense is in %v, want east", got["team"])
	}
	sumsAgree(t, app, "at the end")
}
