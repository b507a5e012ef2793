package hooks_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/audit"
	"rapport/internal/sync"
	"rapport/internal/testkit"
)

// A submit moves its plan's and budget's sums with one narrow statement
// each; what a user or auditor sees of the change is what a whole save gave:
// the sums and a version one further (REST), an audit entry naming the rep
// and exactly the sums and version, a change-log row for the plan's
// audience, PocketBase's after-update event once committed and never for a
// rolled-back write.
func TestSumsStoredNarrowly(t *testing.T) {
	app := testkit.NewApp(t)
	sync.Register(app)
	o := testkit.NewOrg(t, app)
	plan := testkit.MustCreate(t, app, nil, "plans", map[string]any{"customer": o.Customers["rita"].Id, "title": "Care",
		"methods": []string{"visit", "meal"}, "period_start": testkit.Day(-30), "period_end": testkit.Day(30),
		"budget": testkit.Yuan(10_000), "status": "approved"})
	budget := o.Budget(t, "org", "warn", 100_000)
	var events []*core.Record
	app.OnRecordAfterUpdateSuccess("plans", "budgets").BindFunc(func(e *core.RecordEvent) error {
		if e.App.IsTransactional() {
			t.Errorf("after-update event of %s run inside the finished transaction", e.Record.Collection().Name)
		}
		events = append(events, e.Record)
		return e.Next()
	})
	submit := func(tx core.App, yuan int64) error {
		expenses, _ := tx.FindCachedCollectionByNameOrId("expenses")
		r := core.NewRecord(expenses)
		r.Load(map[string]any{"plan": plan.Id, "category": "other", "amount": testkit.Yuan(yuan),
			"incurred_on": testkit.Day(0), "description": "lunch", "status": "submitted"})
		return testkit.Save(tx, o.Users["rita"], r)
	}

	undo := errors.New("undo")
	if err := app.RunInTransaction(func(tx core.App) error {
		if err := submit(tx, 150); err != nil {
			return err
		}
		return undo
	}); !errors.Is(err, undo) {
		t.Fatal(err)
	}
	if len(events) != 0 {
		t.Fatalf("%d after-update events for a rolled-back submit", len(events))
	}
	if err := submit(app, 120); err != nil {
		t.Fatal(err)
	}

	for _, r := range []*core.Record{plan, budget} {
		now := o.Reload(t, r)
		if now.GetInt("committed") != int(testkit.Yuan(120)) || now.GetInt("version") != r.GetInt("version")+1 {
			t.Errorf("%s: committed %d version %d, want %d and %d", r.Collection().Name, now.GetInt("committed"),
				now.GetInt("version"), testkit.Yuan(120), r.GetInt("version")+1)
		}
		if !now.GetDateTime("updated").After(r.GetDateTime("updated")) {
			t.Errorf("%s: updated did not move", r.Collection().Name)
		}
		entry, err := app.FindFirstRecordByFilter("audit_log", "record_id = {:id} && action = 'update'", dbx.Params{"id": r.Id})
		if err != nil {
			t.Fatalf("%s: no audit entry: %v", r.Collection().Name, err)
		}
		var changes map[string][2]float64
		if err := json.Unmarshal([]byte(entry.GetString("changes")), &changes); err != nil {
			t.Fatal(err)
		}
		want := map[string][2]float64{"committed": {0, float64(testkit.Yuan(120))},
			"version": {float64(r.GetInt("version")), float64(r.GetInt("version") + 1)}}
		if len(changes) != len(want) || changes["committed"] != want["committed"] || changes["version"] != want["version"] {
			t.Errorf("%s: audit changes %v, want %v", r.Collection().Name, changes, want)
		}
		if entry.GetString("actor") != o.Users["rita"].Id {
			t.Errorf("%s: audit actor %q, want the rep who submitted", r.Collection().Name, entry.GetString("actor"))
		}
	}
	var rows int
	if err := app.DB().NewQuery("SELECT COUNT(*) FROM _sync_changes WHERE rid = {:id}").Bind(dbx.Params{"id": plan.Id}).Row(&rows); err != nil || rows == 0 {
		t.Errorf("change-log rows of the plan: %d (%v)", rows, err)
	}
	if len(events) != 2 || events[0].GetInt("committed") != int(testkit.Yuan(120)) {
		t.Errorf("after-update events: %d, want one for the plan and one for the budget, with the new sums", len(events))
	}
	if _, err := audit.Verify(app); err != nil {
		t.Error(err)
	}
}
