package hooks_test

import (
	"testing"

	"rapport/internal/testkit"
)

// TestDeactivationHandsOver: when rita leaves, her customers, open plans,
// scheduled visits and open complaints go to her approver (mia, field's manager), audited
// as ada who deactivated her, after the deactivation's own entry; her
// history stays hers (mia's notice: internal/notify TestHandoverNotice). With nobody above a leaver who has work, the
// deactivation is refused.
func TestDeactivationHandsOver(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	acme := o.Customers["rita"]
	open := mkPlan(t, o, "rita", "approved", 1000)
	pending := mkPlan(t, o, "rita", "submitted", 100)
	closed := mkPlan(t, o, "rita", "closed", 100)
	scheduled := testkit.MustCreate(t, app, nil, "visits", map[string]any{"customer": acme.Id, "due_date": testkit.Day(3)})
	done := testkit.MustCreate(t, app, nil, "visits", map[string]any{"customer": acme.Id, "status": "done", "due_date": testkit.Day(-3)})
	complaint := testkit.MustCreate(t, app, o.Users["rita"], "complaints", map[string]any{"customer": acme.Id, "summary": "late delivery"})
	var seq int
	if err := app.DB().NewQuery(`SELECT MAX(seq) FROM audit_log`).Row(&seq); err != nil {
		t.Fatal(err)
	}

	if res := c.Do("ada", "PATCH", "/api/collections/users/records/{user:rita}", `{"active":false}`); res.Status != 200 {
		t.Fatal(res.Status, string(res.Body))
	}
	mia, rita := o.Users["mia"].Id, o.Users["rita"].Id
	for _, r := range []struct {
		collection, id, field, want string
	}{
		{"customers", acme.Id, "owner", mia}, {"plans", open.Id, "owner", mia}, {"plans", pending.Id, "owner", mia},
		{"visits", scheduled.Id, "rep", mia}, {"complaints", complaint.Id, "owner", mia},
		{"plans", closed.Id, "owner", rita}, {"visits", done.Id, "rep", rita},
	} {
		if got := reload(t, app, r.collection, r.id).GetString(r.field); got != r.want {
			t.Errorf("%s %s %s: %s, want %s", r.collection, reload(t, app, r.collection, r.id).GetString("status"), r.field, nameOf(o, got), nameOf(o, r.want))
		}
	}
	if got := reload(t, app, "plans", pending.Id).GetString("approver"); got != o.Users["max"].Id {
		t.Errorf("the pending plan, now mia's, waits for %s, want max (mia's approver)", nameOf(o, got))
	}
	var entries []struct {
		Actor      string `db:"actor"`
		Collection string `db:"collection"`
	}
	if err := app.DB().NewQuery(`SELECT actor, collection FROM audit_log WHERE seq > {:seq} ORDER BY seq`).Bind(map[string]any{"seq": seq}).All(&entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) < 4 || entries[0].Collection != "users" {
		t.Fatalf("audit after the deactivation: %+v", entries)
	}
	for _, e := range entries {
		if e.Actor != o.Users["ada"].Id {
			t.Errorf("a %s entry of the hand-over is audited as %q, want ada", e.Collection, e.Actor)
		}
	}

	// dana, at the top, has nobody to hand a customer to.
	testkit.MustCreate(t, app, nil, "customers", map[string]any{"name": "Delta", "owner": o.Users["dana"].Id})
	if res := c.Do("ada", "PATCH", "/api/collections/users/records/{user:dana}", `{"active":false}`); res.Status != 400 || res.Code("active") != "no_approver" {
		t.Errorf("deactivating dana with a customer and nobody above: %d %s", res.Status, res.Body)
	}
}
