package hooks_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"rapport/internal/actor"
	"rapport/internal/audit"
	"rapport/internal/flow"
	"rapport/internal/testkit"
)

// FuzzRules drives the rule engine with arbitrary sequences of what people
// do to expenses — create, edit, submit, withdraw, decide, pay, delete — as
// arbitrary users, while an admin moves reps between teams, and checks after
// every step what must always hold: refusals are clean 4xx errors, plan and
// budget sums (org and team) equal their expenses, a stop budget is never
// overspent, and the audit chain verifies.
//
// Each input is four bytes per step: what, who, and two parameters.
// A failing input names the step and the actors; replay it with
// `go test -run FuzzRules/<name>` (inputs run on one shared world, so a
// failure may depend on the inputs before it in the same run).
// CI runs it briefly (`go test -fuzz=FuzzRules -fuzztime=...`); the seeds
// and the committed corpus in testdata/ run with every `go test`.
func FuzzRules(f *testing.F) {
	f.Add([]byte{0, 0, 10, 1, 1, 0, 0, 0, 2, 3, 1, 0, 4, 5, 0, 0})
	f.Add([]byte{0, 1, 200, 2, 0, 1, 200, 3, 1, 1, 0, 0, 1, 1, 1, 0, 2, 4, 4, 0, 2, 6, 4, 1})
	f.Add([]byte{0, 2, 50, 6, 6, 2, 9, 0, 1, 2, 0, 0, 3, 2, 0, 0, 5, 2, 0, 0})
	// One world per fuzz worker: inputs pile up on it, and the invariants
	// must hold whatever history came before.
	w := newWorld(f)
	f.Fuzz(func(t *testing.T, steps []byte) {
		if len(steps) > 4*24 {
			steps = steps[:4*24]
		}
		for i := 0; i+4 <= len(steps); i += 4 {
			desc, err := w.step(steps[i], steps[i+1], steps[i+2], steps[i+3])
			if err != nil {
				var apiErr *router.ApiError
				var fieldErrs validation.Errors // PocketBase's field validation: a 400 over REST
				clean := errors.As(err, &fieldErrs) || (errors.As(err, &apiErr) && apiErr.Status >= 400 && apiErr.Status < 500)
				if !clean {
					t.Fatalf("step %d (%s): not a clean refusal: %v", i/4, desc, err)
				}
			}
			w.checkInvariants(t, fmt.Sprintf("after step %d (%s)", i/4, desc))
		}
		if n, err := audit.Verify(w.app); err != nil {
			t.Fatalf("audit chain broken after %d entries: %v", n, err)
		}
	})
}

var (
	fuzzUsers      = []string{"rita", "rob", "ed", "mia", "max", "dana", "eve", "fay", "ada"}
	fuzzReps       = []string{"rita", "rob", "ed"}
	fuzzCategories = []string{"meal", "gift", "travel", "transport", "event", "entertainment", "other"}
	fuzzTeams      = []string{"field", "east", "sales"}
)

type world struct {
	app      core.App
	o        *testkit.Org
	plans    map[string]*core.Record // by rep
	budget   *core.Record            // org-wide stop budget
	teams    map[string]*core.Record // a stop budget per team of fuzzTeams
	expenses []string
}

func newWorld(t testing.TB) *world {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	w := &world{app: app, o: o, plans: map[string]*core.Record{}, teams: map[string]*core.Record{}}
	today := time.Now()
	start := today.AddDate(0, 0, -60).Format(time.DateOnly)
	end := today.AddDate(0, 0, 30).Format(time.DateOnly)
	for _, rep := range fuzzReps {
		p := testkit.MustCreate(t, app, o.Users[rep], "plans", map[string]any{
			"customer": o.Customers[rep].Id, "title": "care", "methods": []string{"meal", "gift"},
			"period_start": start, "period_end": end, "budget": testkit.Yuan(3_000),
		})
		if err := flow.Plan(app, p, "approved"); err != nil {
			t.Fatal(err)
		}
		w.plans[rep] = p
	}
	w.budget = testkit.MustCreate(t, app, nil, "budgets", map[string]any{
		"name": "org year", "scope": "org", "period": "year",
		"period_start": fmt.Sprintf("%d-01-01", today.Year()), "amount": testkit.Yuan(5_000), "on_exceed": "stop",
	})
	for _, team := range fuzzTeams {
		w.teams[team] = testkit.MustCreate(t, app, nil, "budgets", map[string]any{
			"name": team + " year", "scope": "team", "team": o.Teams[team].Id, "period": "year",
			"period_start": fmt.Sprintf("%d-01-01", today.Year()), "amount": testkit.Yuan(3_000), "on_exceed": "stop",
		})
	}
	return w
}

func (w *world) expense(b byte) *core.Record {
	if len(w.expenses) == 0 {
		return nil
	}
	r, err := w.app.FindRecordById("expenses", w.expenses[int(b)%len(w.expenses)])
	if err != nil {
		return nil // deleted
	}
	return r
}

// step performs one action and describes it.
func (w *world) step(what, who, a, b byte) (string, error) {
	user := w.o.Users[fuzzUsers[int(who)%len(fuzzUsers)]]
	amount := (int64(a)*37 + int64(b)) * 100 // up to ~9,500 yuan
	switch what % 8 {
	case 0: // a rep records an expense on their plan (or someone else's)
		rep := fuzzReps[int(who)%len(fuzzReps)]
		c, _ := w.app.FindCollectionByNameOrId("expenses")
		x := core.NewRecord(c)
		x.Load(map[string]any{
			"plan": w.plans[fuzzReps[int(b)%len(fuzzReps)]].Id, "category": fuzzCategories[int(b)%len(fuzzCategories)],
			"amount": amount, "incurred_on": time.Now().AddDate(0, 0, -int(a%90)).Format(time.DateOnly),
			"description": "fuzz",
		})
		if b%5 == 0 {
			x.Set("status", "submitted")
		}
		err := testkit.Save(w.app, w.o.Users[rep], x)
		if err == nil {
			w.expenses = append(w.expenses, x.Id)
		}
		return fmt.Sprintf("%s creates %d", rep, amount), err
	case 1, 3, 4: // status moves: submit, withdraw/reopen, pay
		x := w.expense(b)
		if x == nil {
			return "no expense", nil
		}
		status := map[byte]string{1: "submitted", 3: "draft", 4: "paid"}[what%8]
		x.Set("status", status)
		return fmt.Sprintf("%s sets %s to %s", user.GetString("name"), x.Id, status), testkit.Save(w.app, user, x)
	case 2: // someone decides
		x := w.expense(b)
		if x == nil {
			return "no expense", nil
		}
		decision := []string{"approve", "reject"}[a%2]
		c, _ := w.app.FindCollectionByNameOrId("approvals")
		r := core.NewRecord(c)
		r.Load(map[string]any{"expense": x.Id, "decision": decision, "acknowledge_flags": a&4 != 0})
		return fmt.Sprintf("%s %ss %s", user.GetString("name"), decision, x.Id), testkit.Save(w.app, user, r)
	case 5: // delete
		x := w.expense(b)
		if x == nil {
			return "no expense", nil
		}
		actor.Bind(x, actor.FromAuth(user))
		return fmt.Sprintf("%s deletes %s", user.GetString("name"), x.Id), w.app.Delete(x)
	case 7: // an admin moves a rep to another team
		rep := fuzzReps[int(who)%len(fuzzReps)]
		u, err := w.app.FindRecordById("users", w.o.Users[rep].Id)
		if err != nil {
			return "", err
		}
		team := fuzzTeams[int(a)%len(fuzzTeams)]
		u.Set("team", w.o.Teams[team].Id)
		if err = testkit.Save(w.app, w.o.Users["ada"], u); err == nil {
			w.o.Users[rep] = u
		}
		return fmt.Sprintf("ada moves %s to %s", rep, team), err
	default: // edit the amount
		x := w.expense(b)
		if x == nil {
			return "no expense", nil
		}
		x.Set("amount", amount+100)
		return fmt.Sprintf("%s edits %s to %d", user.GetString("name"), x.Id, amount+100), testkit.Save(w.app, user, x)
	}
}

func (w *world) checkInvariants(t *testing.T, when string) {
	t.Helper()
	type sums struct{ Committed, Spent int64 }
	sumOf := func(where string, args map[string]any) sums {
		var s sums
		err := w.app.DB().NewQuery(`SELECT
			COALESCE(SUM(CASE WHEN status IN ('submitted','approved','paid') THEN amount END), 0) AS committed,
			COALESCE(SUM(CASE WHEN status IN ('approved','paid') THEN amount END), 0) AS spent
			FROM expenses WHERE ` + where).Bind(args).One(&s)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for rep, p := range w.plans {
		fresh := w.o.Reload(t, p)
		want := sumOf("plan = {:p}", map[string]any{"p": p.Id})
		if got := (sums{int64(fresh.GetInt("committed")), int64(fresh.GetInt("spent"))}); got != want {
			t.Fatalf("%s: %s's plan sums %+v, expenses say %+v", when, rep, got, want)
		}
	}
	// a budget counts the expenses incurred in its period (in January,
	// December's are last year's); a team budget those of its team and
	// every team below
	inPeriod := "incurred_on >= {:from} AND incurred_on <= {:to}"
	budgets := map[string]string{"org": inPeriod}
	for team := range w.teams {
		budgets[team] = inPeriod + ` AND team IN (SELECT id FROM teams WHERE id = {:team}
			OR EXISTS (SELECT 1 FROM json_each(teams.ancestors) WHERE json_each.value = {:team}))`
	}
	for name, where := range budgets {
		b := w.budget
		if name != "org" {
			b = w.teams[name]
		}
		b = w.o.Reload(t, b)
		want := sumOf(where, map[string]any{"from": b.GetString("period_start"), "to": b.GetString("period_end"), "team": b.GetString("team")})
		if got := (sums{int64(b.GetInt("committed")), int64(b.GetInt("spent"))}); got != want {
			t.Fatalf("%s: %s budget sums %+v, expenses say %+v", when, name, got, want)
		}
		if want.Committed > int64(b.GetInt("amount")) {
			t.Fatalf("%s: %s stop budget of %d overspent: %d committed", when, name, b.GetInt("amount"), want.Committed)
		}
	}
	// the spend report's monthly sums (internal/report/sums.go) equal a recomputation
	var differ int
	err := w.app.DB().NewQuery(`WITH want AS (SELECT substr(incurred_on, 1, 7), customer, rep, team, SUM(amount),
			COALESCE(SUM(CASE WHEN status IN ('approved','paid') THEN amount END), 0),
			COALESCE(SUM(CASE WHEN status = 'paid' THEN amount END), 0), COUNT(*)
			FROM expenses WHERE status IN ('submitted','approved','paid') GROUP BY 1, 2, 3, 4),
		kept AS (SELECT month, customer, rep, team, committed, approved, paid, expenses FROM report_spend_sums
			WHERE committed != 0 OR approved != 0 OR paid != 0 OR expenses != 0)
		SELECT (SELECT COUNT(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM kept)) +
			(SELECT COUNT(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM want))`).Row(&differ)
	if err != nil || differ > 0 {
		t.Fatalf("%s: %d rows of report_spend_sums differ from the expenses (%v)", when, differ, err)
	}
	var unapproved int
	_ = w.app.DB().NewQuery(`SELECT COUNT(*) FROM expenses x WHERE x.status IN ('approved','paid')
		AND NOT EXISTS (SELECT 1 FROM approvals a WHERE a.expense = x.id AND a.decision = 'approve' AND a.final = 1)`).Row(&unapproved)
	if unapproved > 0 {
		t.Fatalf("%s: %d approved expenses without a final approval", when, unapproved)
	}
}
