package hooks_test

import (
	"testing"

	"rapport/internal/testkit"
)

// TestTiersFollowPolicyMinimums: raising tier B's min_annual_contract
// re-tiers the customers under it at once (audited as the admin), except
// a customer whose tier is locked.
func TestTiersFollowPolicyMinimums(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	locked := o.Reload(t, o.Customers["ed"])
	locked.Set("tier_locked", true)
	if err := testkit.Save(app, nil, locked); err != nil {
		t.Fatal(err)
	}
	b, err := app.FindFirstRecordByData("tier_policies", "tier", "B")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rita", "ed"} {
		if tier := o.Reload(t, o.Customers[name]).GetString("tier"); tier != "B" {
			t.Fatalf("%s's customer (400,000 yuan) is tier %s, want B", name, tier)
		}
	}
	if res := c.Do("ada", "PATCH", "/api/collections/tier_policies/records/"+b.Id, map[string]any{"min_annual_contract": testkit.Yuan(500_000)}); res.Status != 200 {
		t.Fatal(res.Status, string(res.Body))
	}
	if tier := o.Reload(t, o.Customers["rita"]).GetString("tier"); tier != "C" {
		t.Errorf("Acme (400,000 yuan) under B's new minimum of 500,000: tier %s, want C", tier)
	}
	if tier := o.Reload(t, o.Customers["ed"]).GetString("tier"); tier != "B" {
		t.Errorf("the locked customer moved to tier %s", tier)
	}
	var actor string
	if err := app.DB().NewQuery(`SELECT actor FROM audit_log WHERE collection = 'customers' AND record_id = {:id} AND json_extract(changes, '$.tier[1]') = 'C'`).
		Bind(map[string]any{"id": o.Customers["rita"].Id}).Row(&actor); err != nil || actor != o.Users["ada"].Id {
		t.Errorf("the re-tiering is audited as %q (%v), want ada", actor, err)
	}
}
