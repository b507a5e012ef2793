package sync_test

import (
	"encoding/json"
	"strings"
	"testing"

	"rapport/internal/testkit"
)

// A pushed value of the wrong type is rejected like over REST — 400 with
// invalid_type (or the shape's code) on the field, nothing of the mutation
// written — and what REST takes, the push takes: numbers as text, modifiers.
func TestPushRefusesWrongTypes(t *testing.T) {
	e := newEnv(t)
	acme := e.o.Customers["rita"].Id
	p := testkit.MustCreate(t, e.app, nil, "plans", map[string]any{"customer": acme, "title": "Care", "period_start": testkit.Day(-30),
		"period_end": testkit.Day(60), "budget": testkit.Yuan(1000), "status": "approved"})
	x := testkit.MustCreate(t, e.app, nil, "expenses", map[string]any{"plan": p.Id, "category": "meal", "amount": 5000, "incurred_on": testkit.Day(0)})
	v := testkit.MustCreate(t, e.app, nil, "visits", map[string]any{"customer": acme, "due_date": testkit.Day(3)})
	policyB, _ := e.app.FindFirstRecordByFilter("tier_policies", "tier = 'B'")
	settings, _ := e.app.FindFirstRecordByFilter("org_settings", "")

	type mutation struct {
		op, collection, id string
		data               map[string]any
		field, code        string // "" when it applies
	}
	push := func(user, clientID string, ms []mutation) {
		t.Helper()
		var body []map[string]any
		for i, m := range ms {
			body = append(body, map[string]any{"id": i + 1, "op": m.op, "collection": m.collection, "recordId": m.id, "data": m.data})
		}
		status, res := e.call(user, "POST", "/api/sync/push", map[string]any{"clientId": clientID, "mutations": body})
		results, _ := res["results"].([]any)
		if status != 200 || len(results) != len(ms) {
			t.Fatalf("push as %s: %d %v", user, status, res)
		}
		for i, r := range results {
			r := r.(map[string]any)
			m := ms[i]
			switch {
			case m.code == "" && r["status"] != "applied":
				t.Errorf("%s %s %v: %v", m.op, m.collection, m.data, r)
			case m.code != "" && (r["status"] != "rejected" || errorCode(r["error"], m.field) != m.code):
				t.Errorf("%s %s %v: want %s on %s, got %v", m.op, m.collection, m.data, m.code, m.field, r)
			case m.code == "invalid_type":
				raw, _ := json.Marshal(r["error"])
				if !strings.Contains(string(raw), `\"`+m.field) || !strings.Contains(string(raw), " takes ") || !strings.Contains(string(raw), "got ") {
					t.Errorf("%s %s %v: the message does not say what it got and takes: %s", m.op, m.collection, m.data, raw)
				}
			}
		}
	}
	push("rita", "ritaphone01", []mutation{
		{"update", "customers", acme, map[string]any{"annual_contract_amount": "lots"}, "annual_contract_amount", "invalid_type"},
		{"update", "customers", acme, map[string]any{"annual_contract_amount": []any{40000000}}, "annual_contract_amount", "invalid_type"},
		{"update", "customers", acme, map[string]any{"name": "Acme 2", "location": "here"}, "location", "invalid_type"},
		{"create", "expenses", "x00000000000001", map[string]any{"plan": p.Id, "category": "gift", "amount": true, "incurred_on": testkit.Day(0)}, "amount", "invalid_type"},
		{"update", "expenses", x.Id, map[string]any{"amount": json.Number("9007199254740993")}, "amount", "validation_max_number_constraint"},
		{"update", "expenses", x.Id, map[string]any{"amount+": "x"}, "amount", "invalid_type"},
		{"update", "visits", v.Id, map[string]any{"satisfaction": "great"}, "satisfaction", "invalid_type"},
		{"update", "expenses", x.Id, map[string]any{"amount": "1500"}, "", ""},
		{"update", "expenses", x.Id, map[string]any{"amount+": 100}, "", ""},
		{"update", "customers", acme, map[string]any{"location": map[string]any{"lon": 121.47, "lat": 31.23}}, "", ""},
		{"delete", "visits", v.Id, map[string]any{"satisfaction": "ignored"}, "", ""},
	})
	c, _ := e.app.FindRecordById("customers", acme)
	if c.GetInt("annual_contract_amount") != int(testkit.Yuan(400_000)) || c.GetString("tier") != "B" || c.GetString("name") != "Acme" {
		t.Errorf("acme after refused pushes: amount %d, tier %s, name %s", c.GetInt("annual_contract_amount"), c.GetString("tier"), c.GetString("name"))
	}
	if p := c.GetGeoPoint("location"); p.Lon != 121.47 || p.Lat != 31.23 {
		t.Errorf("acme location %+v", p)
	}
	if n, _ := e.app.CountRecords("expenses"); n != 1 {
		t.Errorf("%d expenses, want 1", n)
	}
	if got, _ := e.app.FindRecordById("expenses", x.Id); got.GetInt("amount") != 1600 {
		t.Errorf("amount %d, want 1600", got.GetInt("amount"))
	}

	push("ada", "adaphone0001", []mutation{
		{"update", "tier_policies", policyB.Id, map[string]any{"category_limits": map[string]any{"meal": "1000"}}, "category_limits", "invalid_category_limits"},
		{"update", "tier_policies", policyB.Id, map[string]any{"care_entitlements": "garbage"}, "care_entitlements", "invalid_care_entitlements"},
		{"update", "org_settings", settings.Id, map[string]any{"receipt_required_over": "none"}, "receipt_required_over", "invalid_type"},
		{"update", "org_settings", settings.Id, map[string]any{"followup_offsets": []any{map[string]any{"from": 30, "to": 20}}}, "followup_offsets", "invalid_followup_offsets"},
		{"update", "tier_policies", policyB.Id, map[string]any{"category_limits": map[string]any{"meal": 90000, "gift": 0}}, "", ""},
	})
	if now, _ := e.app.FindRecordById("org_settings", settings.Id); now.GetInt("version") != settings.GetInt("version") {
		t.Error("org_settings was written by refused pushes")
	}
	if b, _ := e.app.FindRecordById("tier_policies", policyB.Id); b.GetString("category_limits") != `{"gift":0,"meal":90000}` {
		t.Errorf("tier B limits %s", b.GetString("category_limits"))
	}
}
