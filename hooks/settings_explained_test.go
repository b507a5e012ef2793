package hooks_test

import (
	"strings"
	"testing"

	"rapport/internal/audit"
	"rapport/internal/testkit"
)

// TestSeededDefaultsAreAudited: the first audit entries are the seeded
// tier policies and org settings, with every value, as the server's.
func TestSeededDefaultsAreAudited(t *testing.T) {
	app := testkit.NewApp(t)
	var rows []struct {
		Seq        int    `db:"seq"`
		Actor      string `db:"actor"`
		Action     string `db:"action"`
		Collection string `db:"collection"`
		Changes    string `db:"changes"`
	}
	if err := app.DB().NewQuery(`SELECT seq, actor, action, collection, changes FROM audit_log ORDER BY seq LIMIT 5`).All(&rows); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for i, r := range rows {
		if r.Seq != i+1 || r.Actor != "" || r.Action != "create" {
			t.Errorf("entry %d: seq %d actor %q action %s, want a create by the server", i+1, r.Seq, r.Actor, r.Action)
		}
		seen[r.Collection]++
		if r.Collection == "org_settings" {
			for _, want := range []string{`"plan_grace_days":[null,60]`, `"late_submission_days":[null,7]`, `"timezone":[null,"Asia/Shanghai"]`} {
				if !strings.Contains(r.Changes, want) {
					t.Errorf("the seeded org settings entry lacks %s: %s", want, r.Changes)
				}
			}
		}
		if r.Collection == "tier_policies" && !strings.Contains(r.Changes, `"min_annual_contract":[null,`) {
			t.Errorf("a seeded tier policy entry lacks its minimum: %s", r.Changes)
		}
	}
	if seen["tier_policies"] != 4 || seen["org_settings"] != 1 {
		t.Errorf("the first entries are %v, want the 4 tier policies and the org settings", seen)
	}

	// What migrations wrote after the seeding (the care settings) is
	// explained when the server starts, once.
	o := testkit.NewOrg(t, app)
	count := func() (n int) {
		_ = app.DB().NewQuery(`SELECT COUNT(*) FROM audit_log WHERE collection = 'org_settings'`).Row(&n)
		return n
	}
	testkit.NewClient(t, o)
	var changes string
	if err := app.DB().NewQuery(`SELECT changes FROM audit_log WHERE collection = 'org_settings' ORDER BY seq DESC LIMIT 1`).Row(&changes); err != nil ||
		!strings.Contains(changes, `"complaint_response_hours":[null,24]`) {
		t.Errorf("the care settings a later migration added are not explained: %s %v", changes, err)
	}
	before := count()
	settings, err := app.FindFirstRecordByFilter("org_settings", "")
	if err != nil {
		t.Fatal(err)
	}
	o.SetOrg(t, map[string]any{"care_lead_days": 5}) // an edit is audited as it is made
	if err := audit.Explain(app, reload(t, app, "org_settings", settings.Id)); err != nil {
		t.Fatal(err)
	}
	if after := count(); after != before+1 {
		t.Errorf("explaining again added %d org settings entries beyond the edit's", after-before-1)
	}
}
