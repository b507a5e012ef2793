package hooks_test

import (
	"strings"
	"testing"

	"rapport/internal/testkit"
)

// A team, customer or user still in use is not deleted: the admin is told
// what uses it and what to do instead. Unused ones go.
func TestDeletingWhatIsInUse(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	plan := mkPlan(t, o, "rita", "approved", 1000)
	mkExpense(t, o, plan, 100, map[string]any{"status": "submitted"})

	for _, tc := range []struct {
		name, url string
		says      []string
	}{
		{"a team with members", "/api/collections/teams/records/" + o.Teams["east"].Id,
			[]string{`Team \"east\" is still used by`, "users (2)", "customers (1)", "Move them"}},
		{"a customer with a plan", "/api/collections/customers/records/" + o.Customers["rita"].Id,
			[]string{`Customer \"Acme\" is still used by`, "expenses (1)", "plans (1)", "dormant or lost"}},
		{"a user with records", "/api/collections/users/records/" + o.Users["rita"].Id,
			[]string{`User \"rita\" is still used by`, "audit_log", "customers (1)", "Deactivate the account"}},
	} {
		res := c.Do("superuser", "DELETE", tc.url, nil)
		if res.Status != 400 || res.Code("id") != "locked" {
			t.Errorf("%s: %d %s", tc.name, res.Status, res.Body)
			continue
		}
		for _, s := range tc.says {
			if !strings.Contains(string(res.Body), s) {
				t.Errorf("%s: the message lacks %q: %s", tc.name, s, res.Body)
			}
		}
	}
	if _, err := app.FindRecordById("teams", o.Teams["east"].Id); err != nil {
		t.Errorf("the team in use is gone: %v", err)
	}

	// unused: a new team, user and customer delete as before
	team := testkit.MustCreate(t, app, nil, "teams", map[string]any{"name": "temp", "parent": o.Teams["hq"].Id})
	customer := testkit.MustCreate(t, app, o.Users["ada"], "customers", map[string]any{"name": "Dunes", "owner": o.Users["ed"].Id})
	for _, url := range []string{"/api/collections/teams/records/" + team.Id, "/api/collections/customers/records/" + customer.Id} {
		if res := c.Do("superuser", "DELETE", url, nil); res.Status != 204 {
			t.Errorf("deleting an unused record %s: %d %s", url, res.Status, res.Body)
		}
	}
}
