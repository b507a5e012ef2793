package hooks_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/audit"
	"rapport/internal/testkit"
)

// lastAudit is the latest audit entry of collection/id, with its changes.
func lastAudit(t testing.TB, app core.App, collection, id string) (*core.Record, map[string][]any) {
	t.Helper()
	entries, err := app.FindRecordsByFilter("audit_log", "collection = {:c} && record_id = {:id}", "-seq", 1, 0,
		dbx.Params{"c": collection, "id": id})
	if err != nil || len(entries) == 0 {
		t.Fatalf("no audit entry for %s %s (%v)", collection, id, err)
	}
	changes := map[string][]any{}
	if err := json.Unmarshal([]byte(entries[0].GetString("changes")), &changes); err != nil {
		t.Fatal(err)
	}
	return entries[0], changes
}

func countAudit(t testing.TB, app core.App, collection, id string) int {
	t.Helper()
	n, err := app.CountRecords("audit_log", dbx.HashExp{"collection": collection, "record_id": id})
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestAuditEntries(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)

	// create and update through REST, by a user
	res := c.Do("rita", "POST", "/api/collections/plans/records", map[string]any{"customer": o.Customers["rita"].Id, "title": "Spring care",
		"period_start": testkit.Day(0), "period_end": testkit.Day(30), "budget": 50000})
	if res.Status != 200 {
		t.Fatal(string(res.Body))
	}
	id := res.JSON()["id"].(string)
	entry, changes := lastAudit(t, app, "plans", id)
	if entry.GetString("action") != "create" || entry.GetString("actor") != o.Users["rita"].Id || changes["title"][1] != "Spring care" || changes["title"][0] != nil {
		t.Errorf("create entry %v %v", entry.PublicExport(), changes)
	}
	c.Do("rita", "PATCH", "/api/collections/plans/records/"+id, `{"title":"Summer care"}`)
	entry, changes = lastAudit(t, app, "plans", id)
	if entry.GetString("action") != "update" || changes["title"][0] != "Spring care" || changes["title"][1] != "Summer care" || changes["budget"] != nil {
		t.Errorf("update entry %v %v", entry.PublicExport(), changes)
	}

	// a superuser write names the superuser
	c.Do("superuser", "PATCH", "/api/collections/plans/records/"+id, `{"measures":"call monthly"}`)
	if entry, _ = lastAudit(t, app, "plans", id); entry.GetString("actor_superuser") == "" || entry.GetString("actor") != "" {
		t.Errorf("superuser entry %v", entry.PublicExport())
	}

	// a sync push carries its client id
	plan := reload(t, app, "plans", id)
	plan.Set("planned_visits", 3)
	actor.Bind(plan, &actor.Actor{User: o.Users["rita"], ClientID: "phone-1"})
	if err := app.Save(plan); err != nil {
		t.Fatal(err)
	}
	if entry, _ = lastAudit(t, app, "plans", id); entry.GetString("client_id") != "phone-1" {
		t.Errorf("client_id %q", entry.GetString("client_id"))
	}

	// delete
	c.Do("rita", "DELETE", "/api/collections/plans/records/"+id, nil)
	if entry, changes = lastAudit(t, app, "plans", id); entry.GetString("action") != "delete" || changes["title"][0] != "Summer care" {
		t.Errorf("delete entry %v %v", entry.PublicExport(), changes)
	}

	// what a write moves on the server's side is audited as its writer's:
	// the plan's sums as rita's submit, the expense's approval as mia's
	approved := mkPlan(t, o, "rita", "approved", 1000).Id
	res = c.Do("rita", "POST", "/api/collections/expenses/records", map[string]any{"plan": approved, "category": "meal",
		"amount": 8800, "incurred_on": testkit.Day(0), "status": "submitted"})
	if res.Status != 200 {
		t.Fatal(string(res.Body))
	}
	expense := res.JSON()["id"].(string)
	if entry, changes = lastAudit(t, app, "plans", approved); entry.GetString("actor") != o.Users["rita"].Id || changes["committed"] == nil {
		t.Errorf("the plan's sums after rita's submit: %v %v", entry.PublicExport(), changes)
	}
	if res := c.Do("mia", "POST", "/api/collections/approvals/records", map[string]any{"expense": expense, "decision": "reject"}); res.Status != 200 {
		t.Fatal(string(res.Body))
	}
	if entry, changes = lastAudit(t, app, "expenses", expense); entry.GetString("actor") != o.Users["mia"].Id || changes["status"][1] != "rejected" {
		t.Errorf("the expense rejected by mia: %v %v", entry.PublicExport(), changes)
	}
	if entry, _ = lastAudit(t, app, "plans", approved); entry.GetString("actor") != o.Users["mia"].Id {
		t.Errorf("the plan's sums after mia's rejection: %v", entry.PublicExport())
	}
	// what a move carries along is ada's: rita's customer and plan follow her
	if res := c.Do("ada", "PATCH", "/api/collections/users/records/"+o.Users["rita"].Id, map[string]any{"team": o.Teams["sales"].Id}); res.Status != 200 {
		t.Fatal(string(res.Body))
	}
	for collection, id := range map[string]string{"customers": o.Customers["rita"].Id, "plans": approved} {
		if entry, changes = lastAudit(t, app, collection, id); entry.GetString("actor") != o.Users["ada"].Id || changes["team"] == nil {
			t.Errorf("rita's %s moved by ada: %v %v", collection, entry.PublicExport(), changes)
		}
	}

	// users: only the admin fields are audited
	rita := o.Users["rita"].Id
	before := countAudit(t, app, "users", rita)
	c.Do("rita", "PATCH", "/api/collections/users/records/"+rita, `{"name":"Rita R."}`)
	if n := countAudit(t, app, "users", rita); n != before {
		t.Errorf("a name change was audited (%d entries, had %d)", n, before)
	}
	if res := c.Do("ada", "PATCH", "/api/collections/users/records/"+rita, `{"approval_limit":5000}`); res.Status != 200 {
		t.Fatal(string(res.Body))
	}
	if entry, changes = lastAudit(t, app, "users", rita); entry.GetString("actor") != o.Users["ada"].Id || changes["approval_limit"][1] != 5000.0 || changes["name"] != nil {
		t.Errorf("user entry %v %v", entry.PublicExport(), changes)
	}

	// every audited collection left entries, and the chain verifies
	for _, collection := range []string{"teams", "customers", "users"} {
		if n, _ := app.CountRecords("audit_log", dbx.HashExp{"collection": collection}); n == 0 {
			t.Errorf("no audit entries for %s", collection)
		}
	}
	n, err := audit.Verify(app)
	total, _ := app.CountRecords("audit_log")
	if err != nil || int64(n) != total {
		t.Errorf("verify: %d of %d, %v", n, total, err)
	}
}

func TestAuditLogIsWriteProtected(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	entry, _ := lastAudit(t, app, "customers", o.Customers["rita"].Id)
	url := "/api/collections/audit_log/records"
	body := map[string]any{"action": "create", "collection": "customers", "record_id": "x"}
	for _, as := range []string{"superuser", "ada", "fay"} {
		if res := c.Do(as, "POST", url, body); res.Status != 403 {
			t.Errorf("%s create: %d %s", as, res.Status, res.Body)
		}
		if res := c.Do(as, "PATCH", url+"/"+entry.Id, `{"record_id":"y"}`); res.Status != 403 && res.Status != 404 {
			t.Errorf("%s update: %d %s", as, res.Status, res.Body)
		}
		if res := c.Do(as, "DELETE", url+"/"+entry.Id, nil); res.Status != 403 && res.Status != 404 {
			t.Errorf("%s delete: %d %s", as, res.Status, res.Body)
		}
	}
	if res := c.Do("superuser", "DELETE", url+"/"+entry.Id, nil); res.Code("collection") != "forbidden" {
		t.Errorf("superuser delete: %s", res.Body)
	}
	// server code cannot rewrite history either
	entry.Set("record_id", "y")
	if err := app.Save(entry); err == nil {
		t.Error("server update of an audit entry succeeded")
	}
	if err := app.Delete(reload(t, app, "audit_log", entry.Id)); err == nil {
		t.Error("server delete of an audit entry succeeded")
	}
	if res := c.Do("fay", "GET", url, nil); res.Status != 200 {
		t.Errorf("finance reads the log: %d", res.Status)
	}
	if res := c.Do("rita", "GET", url, nil); res.Status == 200 && res.JSON()["totalItems"] != 0.0 {
		t.Errorf("a rep reads the log: %s", res.Body)
	}
}

func TestAuditVerifyFindsTampering(t *testing.T) {
	app := testkit.NewApp(t)
	testkit.NewOrg(t, app)
	if _, err := audit.Verify(app); err != nil {
		t.Fatal(err)
	}
	var broken *audit.BrokenError

	// an altered row
	if _, err := app.DB().NewQuery(`UPDATE audit_log SET changes = '{"name":[null,"Evil"]}' WHERE seq = 5`).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Verify(app); !errors.As(err, &broken) || broken.Seq != 5 {
		t.Fatalf("altered seq 5: %v", err)
	}

	// a removed row is reported at the entry after it
	app = testkit.NewApp(t)
	testkit.NewOrg(t, app)
	if _, err := app.DB().NewQuery(`DELETE FROM audit_log WHERE seq = 3`).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Verify(app); !errors.As(err, &broken) || broken.Seq != 4 {
		t.Fatalf("removed seq 3: %v", err)
	}
}
