package hooks_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/budget"
	"rapport/internal/testkit"
	"rapport/internal/violation"
)

// sumsAgree fails unless every plan and budget stores exactly the sums of
// its expenses.
func sumsAgree(t testing.TB, app core.App, step string) {
	t.Helper()
	for _, collection := range []string{"plans", "budgets"} {
		records, err := app.FindAllRecords(collection)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range records {
			var s budget.Sums
			if collection == "plans" {
				s, err = budget.PlanSums(app, r.Id)
			} else {
				s, err = budget.BudgetSums(app, r)
			}
			if err != nil {
				t.Fatal(err)
			}
			if int64(r.GetInt("committed")) != s.Committed || int64(r.GetInt("spent")) != s.Spent {
				t.Errorf("%s: %s %s stores %d/%d, expenses sum to %d/%d", step, collection, r.GetString("name"),
					r.GetInt("committed"), r.GetInt("spent"), s.Committed, s.Spent)
			}
		}
	}
}

func TestBudgetMaths(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	plan := mkPlan(t, o, "rita", "approved", 5000)
	org := o.Budget(t, "org", "stop", 10_000)
	team := o.Budget(t, "team", "warn", 10_000, map[string]any{"team": o.Teams["hq"].Id})
	gifts := o.Budget(t, "org", "warn", 10_000, map[string]any{"category": "gift"})
	eastOnly := o.Budget(t, "team", "stop", 10_000, map[string]any{"team": o.Teams["east"].Id})
	visitDone(t, o, "rita", testkit.Day(0))

	// want checks committed/spent (yuan) of the plan and the org, team,
	// gift and east budgets after a step.
	want := func(step string, planC, planS, giftC int64) {
		t.Helper()
		sumsAgree(t, app, step)
		for _, w := range []struct {
			r    *core.Record
			c, s int64
		}{{plan, planC, planS}, {org, planC, planS}, {team, planC, planS}, {gifts, giftC, giftC}, {eastOnly, 0, 0}} {
			r := reload(t, app, w.r.Collection().Name, w.r.Id)
			if int64(r.GetInt("committed")) != testkit.Yuan(w.c) || (w.r != gifts && int64(r.GetInt("spent")) != testkit.Yuan(w.s)) {
				t.Errorf("%s: %s %s committed/spent %d/%d, want %d/%d yuan", step, r.Collection().Name, r.GetString("name"),
					r.GetInt("committed")/100, r.GetInt("spent")/100, w.c, w.s)
			}
		}
	}
	do := func(as, method, url string, body any) {
		t.Helper()
		if res := c.Do(as, method, url, body); res.Status >= 300 {
			t.Fatalf("%s %s %s: %s", as, method, url, res.Body)
		}
	}
	expense := func(id string) string { return "/api/collections/expenses/records/" + id }
	decide := func(as, id, decision string) {
		t.Helper()
		do(as, "POST", approvalURL, map[string]any{"expense": id, "decision": decision})
	}

	x1 := mkExpense(t, o, plan, 150)
	want("draft", 0, 0, 0)
	do("rita", "PATCH", expense(x1.Id), submit)
	want("submit", 150, 0, 0)
	decide("mia", x1.Id, "approve")
	want("approve", 150, 150, 0)
	do("fay", "PATCH", expense(x1.Id), `{"status":"paid"}`)
	want("pay", 150, 150, 0)

	x2 := mkExpense(t, o, plan, 100)
	do("rita", "PATCH", expense(x2.Id), submit)
	want("second submit", 250, 150, 0)
	do("rita", "PATCH", expense(x2.Id), `{"status":"draft"}`)
	want("withdraw", 150, 150, 0)
	do("rita", "PATCH", expense(x2.Id), `{"amount":12000}`)
	do("rita", "PATCH", expense(x2.Id), submit)
	want("edit and resubmit", 270, 150, 0)
	decide("mia", x2.Id, "reject")
	want("reject", 150, 150, 0)
	do("rita", "PATCH", expense(x2.Id), `{"status":"draft"}`)
	want("reopen", 150, 150, 0)

	x3 := mkExpense(t, o, plan, 50, map[string]any{"category": "gift"})
	do("rita", "PATCH", expense(x3.Id), submit)
	want("gift", 200, 150, 50)
	do("rita", "PATCH", expense(x3.Id), `{"status":"draft"}`)
	do("rita", "DELETE", expense(x3.Id), nil)
	want("draft delete", 150, 150, 0)

	// rita moves to the east team: what she submitted stays charged to
	// field (the paid 150), east's budget is untouched; her draft goes along.
	o.MoveUser(t, "rita", "east")
	want("team move", 150, 150, 0)
	if team := reload(t, app, "expenses", x2.Id).GetString("team"); team != o.Teams["east"].Id {
		t.Errorf("rita's draft after the move: team %s, want east", team)
	}
}

// Two submissions that together exceed a stop budget: exactly one wins,
// because the check reads through the write's (single-writer) transaction.
func TestParallelSubmitsAgainstStopBudget(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	plan := mkPlan(t, o, "rita", "approved", 10_000)
	o.SetOrg(t, map[string]any{"receipt_required_over": testkit.Yuan(10_000)})
	for round, category := range []string{"meal", "gift", "travel", "transport", "event", "entertainment"} {
		b := o.Budget(t, "org", "stop", 1000, map[string]any{"category": category})
		drafts := []*core.Record{
			reload(t, app, "expenses", mkExpense(t, o, plan, 600, map[string]any{"category": category}).Id),
			reload(t, app, "expenses", mkExpense(t, o, plan, 600, map[string]any{"category": category, "description": "second"}).Id),
		}
		errs := make([]error, len(drafts))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, x := range drafts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				x.Set("status", "submitted")
				errs[i] = testkit.Save(app, o.Users["rita"], x)
			}()
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else if _, code := violation.Code(err); code != "budget_exceeded" {
				t.Errorf("round %d: %v", round, err)
			}
		}
		if wins != 1 {
			t.Errorf("round %d: %d submissions won, want exactly 1 (%v)", round, wins, errs)
		}
		if r := reload(t, app, "budgets", b.Id); r.GetInt("committed") != int(testkit.Yuan(600)) {
			t.Errorf("round %d: committed %d", round, r.GetInt("committed"))
		}
	}
	sumsAgree(t, app, "parallel")
}

// The same rules answer on every write path: REST, batch, superuser
// (dashboard), and an actor-stamped save (the sync push).
func TestOneEngineEveryPath(t *testing.T) {
	setup := func(t testing.TB, o *testkit.Org) {
		plan := ref(o, "p", mkPlan(t, o, "rita", "approved", 5000))
		o.Budget(t, "org", "stop", 250)
		ref(o, "x", mkExpense(t, o, plan, 150))
		ref(o, "y", mkExpense(t, o, plan, 150, map[string]any{"description": "second"}))
	}
	stillDraft := func(t testing.TB, o *testkit.Org) {
		for _, k := range []string{"x", "y"} {
			if s := reload(t, o.App, "expenses", o.Refs[k]).GetString("status"); s != "draft" {
				t.Errorf("%s is %s after a failed batch", k, s)
			}
		}
		sumsAgree(t, o.App, "batch")
	}
	batch := func(requests ...string) string {
		return `{"requests":[` + strings.Join(requests, ",") + `]}`
	}
	patch := func(key, body string) string {
		return `{"method":"PATCH","url":"/api/collections/expenses/records/{` + key + `}","body":` + body + `}`
	}
	for _, c := range []testkit.Case{
		{Name: "batch: two submits over a stop budget fail together", As: "rita", Method: "POST", URL: "/api/batch",
			Body: batch(patch("x", submit), patch("y", submit)), Setup: setup,
			Status: 400, Contains: []string{"budget_exceeded", "100.00 CNY left"}, Check: stillDraft},
		{Name: "batch: one submit fits", As: "rita", Method: "POST", URL: "/api/batch",
			Body: batch(patch("x", submit)), Setup: setup, Status: 200, Contains: []string{`"status":"submitted"`}},
		{Name: "batch: locked content", As: "rita", Method: "POST", URL: "/api/batch",
			Body: batch(patch("x", submit), patch("x", `{"amount":1}`)), Setup: setup, Status: 400, Contains: []string{`"locked"`}},
		{Name: "batch: approving by PATCH", As: "mia", Method: "POST", URL: "/api/batch",
			Body: batch(patch("x", `{"status":"approved"}`)), Setup: setup, Status: 400, Contains: []string{"invalid_transition"}},
		{Name: "superuser: stop budget", As: "superuser", Method: "PATCH", URL: expenseURL, Body: submit,
			Setup: then(setup, func(t testing.TB, o *testkit.Org) {
				y := reload(t, o.App, "expenses", o.Refs["y"])
				y.Set("status", "submitted")
				if err := testkit.Save(o.App, o.Users["rita"], y); err != nil {
					t.Fatal(err)
				}
			}), Status: 400, Contains: []string{`"amount":{"code":"budget_exceeded"`}},
		{Name: "superuser: outside the plan period", As: "superuser", Method: "PATCH", URL: expenseURL, Body: `{"status":"submitted","incurred_on":"2020-01-01"}`,
			Setup: setup, Status: 400, Contains: []string{`"code":"outside_plan_period"`}},
	} {
		c.Run(t)
	}

	// The sync push saves with the caller stamped: same answers.
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	setup(t, o)
	x := reload(t, app, "expenses", o.Refs["x"])
	x.Set("status", "approved")
	if _, code := violation.Code(testkit.Save(app, o.Users["rita"], x)); code != "invalid_transition" {
		t.Errorf("actor save to approved: %q", code)
	}
	x.Set("status", "submitted")
	x.Set("currency", "USD")
	if _, code := violation.Code(testkit.Save(app, o.Users["rita"], x)); code != "currency_mismatch" {
		t.Errorf("actor save in USD: %q", code)
	}
}

// Moving a team in the tree moves its expenses between team budgets.
func TestBudgetsFollowTheTeamTree(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	plan := mkPlan(t, o, "rita", "approved", 5000)
	mkExpense(t, o, plan, 100, map[string]any{"status": "approved"})
	sales := o.Budget(t, "team", "stop", 1000, map[string]any{"team": o.Teams["sales"].Id})
	east := o.Budget(t, "team", "stop", 1000, map[string]any{"team": o.Teams["east"].Id})
	committed := func(b *core.Record) int { return reload(t, app, "budgets", b.Id).GetInt("committed") }
	if committed(sales) != 10000 || committed(east) != 0 {
		t.Fatalf("before: sales %d, east %d", committed(sales), committed(east))
	}
	field := o.Reload(t, o.Teams["field"])
	field.Set("parent", o.Teams["east"].Id)
	if err := testkit.Save(app, nil, field); err != nil {
		t.Fatal(err)
	}
	if committed(sales) != 0 || committed(east) != 10000 {
		t.Errorf("after field moved under east: sales %d, east %d", committed(sales), committed(east))
	}
	sumsAgree(t, app, "team tree")
}

// Reshaping a budget recounts it from its expenses; the writes after that
// keep adding to the new count.
func TestReshapedBudgetRecounts(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	plan := mkPlan(t, o, "rita", "approved", 5000)
	b := o.Budget(t, "org", "warn", 1000)
	mkExpense(t, o, plan, 100, map[string]any{"status": "approved"})
	mkExpense(t, o, plan, 50, map[string]any{"status": "submitted", "category": "gift"})
	committed := func(step string, want int64) {
		t.Helper()
		sumsAgree(t, app, step)
		if got := reload(t, app, "budgets", b.Id).GetInt("committed"); int64(got) != testkit.Yuan(want) {
			t.Errorf("%s: committed %d, want %d yuan", step, got, want)
		}
	}
	committed("org-wide", 150)
	reshape := func(field string, value any) {
		t.Helper()
		b = reload(t, app, "budgets", b.Id)
		b.Set(field, value)
		if err := testkit.Save(app, nil, b); err != nil {
			t.Fatal(err)
		}
	}
	reshape("category", "gift")
	committed("gifts only", 50)
	reshape("period_start", fmt.Sprintf("%d-01-01", time.Now().Year()-1))
	committed("last year", 0)
	reshape("period_start", testkit.Day(0)[:4]+"-01-01")
	committed("this year again", 50)
	x := reload(t, app, "expenses", mkExpense(t, o, plan, 30, map[string]any{"category": "gift", "description": "flowers"}).Id)
	x.Set("status", "submitted")
	if err := testkit.Save(app, o.Users["rita"], x); err != nil {
		t.Fatal(err)
	}
	committed("another gift", 80)
}

// A budget's amount covers what is committed in what it covers, after any
// change of its shape and on creation, not only when its amount changes.
func TestBudgetReshapedBelowCommitted(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	plan := mkPlan(t, o, "rita", "approved", 5000)
	mkExpense(t, o, plan, 800, map[string]any{"status": "approved", "category": "gift"})
	robs := o.Budget(t, "rep", "stop", 500, map[string]any{"rep": o.Users["rob"].Id, "category": "gift"})
	warn := o.Budget(t, "rep", "warn", 500, map[string]any{"rep": o.Users["rita"].Id})
	if warn.GetInt("committed") != int(testkit.Yuan(800)) {
		t.Fatalf("rita's warn budget: committed %d", warn.GetInt("committed"))
	}
	for _, tc := range []struct {
		r    *core.Record
		body map[string]any
	}{
		{robs, map[string]any{"rep": o.Users["rita"].Id}},
		{robs, map[string]any{"scope": "team", "team": o.Teams["field"].Id}},
		{robs, map[string]any{"scope": "org"}},
		{warn, map[string]any{"on_exceed": "stop"}},
	} {
		for how, res := range map[string]testkit.Response{"REST": c.Do("fay", "PATCH", url(tc.r), tc.body), "batch": batchOne(c, "fay", "PATCH", url(tc.r), tc.body)} {
			if res.Status != 400 || res.Code("amount") != "budget_below_committed" || !strings.Contains(string(res.Body), "800.00") {
				t.Errorf("%v on %s (%s): %d %s", tc.body, tc.r.GetString("name"), how, res.Status, res.Body)
			}
		}
		unchanged(t, app, tc.r, "a refused reshape")
	}
	res := c.Do("fay", "POST", "/api/collections/budgets/records", map[string]any{"name": "Rita gifts", "scope": "rep", "rep": o.Users["rita"].Id,
		"category": "gift", "period": "year", "period_start": testkit.Day(0)[:4] + "-01-01", "amount": testkit.Yuan(500)})
	if res.Status != 400 || res.Code("amount") != "budget_below_committed" {
		t.Errorf("a budget created below what it covers: %d %s", res.Status, res.Body)
	}
	// reshaping with an amount that covers it, or onto nothing committed
	if res := c.Do("fay", "PATCH", url(robs), map[string]any{"rep": o.Users["rita"].Id, "amount": testkit.Yuan(900)}); res.Status != 200 {
		t.Errorf("reshape with a covering amount: %d %s", res.Status, res.Body)
	}
	if res := c.Do("fay", "PATCH", url(warn), map[string]any{"category": "meal", "on_exceed": "stop"}); res.Status != 200 {
		t.Errorf("reshape onto nothing committed: %d %s", res.Status, res.Body)
	}
}
