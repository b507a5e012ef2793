package hooks_test

import (
	"testing"

	"rapport/internal/testkit"
)

func TestSmoke(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := o.Reload(t, o.Customers["rita"])
	if c.GetString("tier") != "B" || c.GetString("team") != o.Teams["field"].Id || c.GetInt("version") != 1 {
		t.Fatalf("customer derived fields: %v", c.PublicExport())
	}
	if v := o.Reload(t, o.Teams["field"]).GetStringSlice("viewers"); len(v) != 3 {
		t.Fatalf("viewers: %v", v)
	}
}

func TestSmokeAPI(t *testing.T) {
	budget := func(t testing.TB, o *testkit.Org) {
		testkit.MustCreate(t, o.App, nil, "budgets", map[string]any{"name": "sales", "scope": "team", "team": o.Teams["sales"].Id,
			"period": "year", "period_start": "2026-01-01", "amount": 1000, "on_exceed": "stop"})
	}
	for _, c := range []testkit.Case{
		{As: "dana", URL: "/api/collections/customers/records", Status: 200, Contains: []string{`"totalItems":3`}},
		{As: "mia", URL: "/api/collections/customers/records", Status: 200, Contains: []string{`"totalItems":2`}},
		{As: "rita", URL: "/api/collections/customers/records", Status: 200, Contains: []string{`"totalItems":1`, `"Acme"`}},
		{As: "rita", URL: "/api/collections/customers/records/{customer:rob}", Status: 404},
		{As: "rita", URL: "/api/collections/budgets/records", Setup: budget, Status: 200, Contains: []string{`"totalItems":1`}},
		{As: "ed", URL: "/api/collections/budgets/records", Setup: budget, Status: 200, Contains: []string{`"totalItems":0`}},
		{As: "rita", Method: "PATCH", URL: "/api/collections/users/records/{user:rita}", Body: `{"role":"admin"}`, Status: 403, Contains: []string{`"code":"forbidden"`}},
		{As: "rita", Method: "PATCH", URL: "/api/collections/customers/records/{customer:rita}", Body: `{"team":"{team:east}"}`, Status: 400, Contains: []string{`"code":"read_only"`}},
	} {
		c.Name = c.As + " " + c.Method + " " + c.URL
		c.Run(t)
	}
}
