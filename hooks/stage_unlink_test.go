package hooks_test

import (
	"testing"

	"rapport/internal/testkit"
)

// Deleting a draft plan that visits name unlinks them, as PocketBase
// would; the unlinking is a server write audited as the deleter's.
func TestDeletingAPlanUnlinksItsVisits(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	plan := mkPlan(t, o, "rita", "draft", 1000)
	visit := testkit.MustCreate(t, app, o.Users["rita"], "visits", map[string]any{"customer": o.Customers["rita"].Id,
		"plan": plan.Id, "due_date": testkit.Day(0)})

	if res := c.Do("rita", "DELETE", "/api/collections/plans/records/"+plan.Id, nil); res.Status != 204 {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	visit = reload(t, app, "visits", visit.Id)
	if visit.GetString("plan") != "" || visit.GetInt("version") != 2 {
		t.Errorf("visit after its plan was deleted: plan %q version %d", visit.GetString("plan"), visit.GetInt("version"))
	}
	if entry, changes := lastAudit(t, app, "visits", visit.Id); entry.GetString("actor") != o.Users["rita"].Id || changes["plan"] == nil {
		t.Errorf("unlink audited as %v %v", entry.PublicExport(), changes)
	}
}
