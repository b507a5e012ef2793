package sync_test

import (
	"fmt"
	"testing"

	"github.com/pocketbase/dbx"

	"rapport/internal/testkit"
	"rapport/internal/txstate"
)

// One transaction leaves one change row per (audience, record), however
// often it changes the record; a mutation rejected in the middle of a push
// (its transaction rolled back and the mutations before it applied again)
// loses none of them: the rep's and her managers' devices converge.
func TestChangeLogOneRowPerTransaction(t *testing.T) {
	e := newEnv(t)
	rita, mia := e.client("rita", "ritaphone01"), e.client("mia", "miaphone001")
	mustSync(t, rita)
	mustSync(t, mia)
	acme := e.o.Customers["rita"].Id
	push := func(muts ...map[string]any) []any {
		t.Helper()
		status, res := e.call("rita", "POST", "/api/sync/push", map[string]any{"clientId": "ritaweb0001", "mutations": muts})
		if status != 200 {
			t.Fatalf("push: %d %v", status, res)
		}
		return res["results"].([]any)
	}
	rowsPerAudience := func(id string) map[string]int {
		var rows []struct {
			Aud string `db:"aud"`
			N   int    `db:"n"`
		}
		err := e.app.DB().NewQuery("SELECT aud, COUNT(*) AS n FROM _sync_changes WHERE rid = {:r} GROUP BY aud").
			Bind(dbx.Params{"r": id}).All(&rows)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, r := range rows {
			out[r.Aud] = r.N
		}
		return out
	}

	const v = "v00000000000001"
	push(map[string]any{"id": 1, "op": "create", "collection": "visits", "recordId": v, "data": map[string]any{"customer": acme}},
		map[string]any{"id": 2, "op": "update", "collection": "visits", "recordId": v, "data": map[string]any{"notes": "a"}},
		map[string]any{"id": 3, "op": "update", "collection": "visits", "recordId": v, "data": map[string]any{"notes": "b"}})
	once := rowsPerAudience(v)
	if len(once) < 2 {
		t.Fatalf("change rows of a pushed visit: %v, want the rep's and her managers' audiences", once)
	}
	for aud, n := range once {
		if n != 1 {
			t.Errorf("audience %s has %d rows for one push's create and two edits, want 1", aud, n)
		}
	}
	mustSync(t, rita)
	mustSync(t, mia)

	results := push(map[string]any{"id": 4, "op": "update", "collection": "visits", "recordId": v, "data": map[string]any{"notes": "c"}},
		map[string]any{"id": 5, "op": "create", "collection": "plans", "recordId": "p00000000000001", "data": map[string]any{"customer": e.o.Customers["ed"].Id, "title": "x"}},
		map[string]any{"id": 6, "op": "update", "collection": "visits", "recordId": v, "data": map[string]any{"notes": "d"}})
	if got := results[1].(map[string]any)["status"]; got != "rejected" {
		t.Fatalf("a plan on another rep's customer: %v, want rejected", got)
	}
	for aud, n := range rowsPerAudience(v) {
		if n <= once[aud] {
			t.Errorf("audience %s: no row for the edits around a rejected mutation", aud)
		}
	}
	mustSync(t, rita)
	mustSync(t, mia)
	e.converged("rita", rita)
	e.converged("mia", mia)
	if notes := rita.Store()["visits"][v]["notes"]; notes != "d" {
		t.Errorf("rita's device has notes %v, want d", notes)
	}
	if n := txstate.Live(); n != 0 {
		t.Errorf("%d ended transactions still hold state", n)
	}
}

// Sums stored by their narrow statement reach every device that sees the
// plan: a push of three submits leaves the plan's sums, version and the
// budget's on the rep's and her manager's devices exactly as REST shows
// them, with one change row per audience for the plan.
func TestNarrowSumsReachDevices(t *testing.T) {
	e := newEnv(t)
	plan := testkit.MustCreate(t, e.app, nil, "plans", map[string]any{"customer": e.o.Customers["rita"].Id, "title": "Care",
		"methods": []string{"visit", "meal"}, "period_start": testkit.Day(-30), "period_end": testkit.Day(30),
		"budget": testkit.Yuan(10_000), "status": "approved"})
	e.o.Budget(t, "org", "warn", 100_000)
	rita, mia := e.client("rita", "ritaphone01"), e.client("mia", "miaphone001")
	mustSync(t, rita)
	mustSync(t, mia)
	var muts []map[string]any
	for i := range 3 {
		id := fmt.Sprintf("x%014d", i)
		muts = append(muts,
			map[string]any{"id": 2*i + 1, "op": "create", "collection": "expenses", "recordId": id, "data": map[string]any{
				"plan": plan.Id, "category": "other", "amount": testkit.Yuan(10), "incurred_on": testkit.Day(0), "description": "lunch"}},
			map[string]any{"id": 2*i + 2, "op": "update", "collection": "expenses", "recordId": id,
				"data": map[string]any{"status": "submitted"}, "base": map[string]any{"status": "draft"}})
	}
	status, res := e.call("rita", "POST", "/api/sync/push", map[string]any{"clientId": "ritaweb0001", "mutations": muts})
	if status != 200 {
		t.Fatalf("push: %d %v", status, res)
	}
	for _, r := range res["results"].([]any) {
		if r := r.(map[string]any); r["status"] != "applied" {
			t.Fatalf("result %v", r)
		}
	}
	var perAudience []int
	if err := e.app.DB().NewQuery("SELECT COUNT(*) FROM _sync_changes WHERE rid = {:r} GROUP BY aud").
		Bind(dbx.Params{"r": plan.Id}).Column(&perAudience); err != nil {
		t.Fatal(err)
	}
	if len(perAudience) < 2 {
		t.Errorf("plan change rows per audience: %v, want the rep's and her managers'", perAudience)
	}
	for _, n := range perAudience {
		if n != 2 { // the plan's creation, then the push
			t.Errorf("plan change rows per audience: %v, want 2 each (created, then one push)", perAudience)
			break
		}
	}
	mustSync(t, rita)
	mustSync(t, mia)
	e.converged("rita", rita)
	e.converged("mia", mia)
	if got := rita.Store()["plans"][plan.Id]["committed"]; got != float64(testkit.Yuan(30)) {
		t.Errorf("rita's device shows committed %v, want %d", got, testkit.Yuan(30))
	}
}
