package hooks_test

import (
	"testing"

	"rapport/internal/testkit"
)

// TestLabels: plans and expenses written through REST get a label that
// tells them apart, kept current by every write; clients cannot set it.
func TestLabels(t *testing.T) {
	o := testkit.NewOrg(t, testkit.NewApp(t))
	c := testkit.NewClient(t, o)
	res := c.Do("rita", "POST", "/api/collections/plans/records", map[string]any{"customer": o.Customers["rita"].Id,
		"title": "Spring care", "period_start": "2026-03-01", "period_end": "2026-05-31", "budget": testkit.Yuan(5000)})
	if res.Status != 200 || res.JSON()["label"] != "Acme · rita · Spring care (2026-03-01 – 2026-05-31)" {
		t.Fatalf("plan: %d %s", res.Status, res.Body)
	}
	plan := res.JSON()["id"].(string)
	res = c.Do("rita", "POST", "/api/collections/expenses/records", map[string]any{"plan": plan, "category": "meal",
		"amount": 120000, "currency": "CNY", "incurred_on": "2026-03-02"})
	if res.Status != 200 || res.JSON()["label"] != "Acme · meal · 1,200.00 CNY" {
		t.Fatalf("expense: %d %s", res.Status, res.Body)
	}
	expense := res.JSON()["id"].(string)
	res = c.Do("rita", "PATCH", "/api/collections/expenses/records/"+expense, map[string]any{"amount": 9905, "category": "gift"})
	if res.Status != 200 || res.JSON()["label"] != "Acme · gift · 99.05 CNY" {
		t.Fatalf("edited expense: %d %s", res.Status, res.Body)
	}
	res = c.Do("rita", "PATCH", "/api/collections/plans/records/"+plan, map[string]any{"label": "mine"})
	if res.Status != 400 || res.Code("label") != "read_only" {
		t.Fatalf("a client sets the label: %d %s", res.Status, res.Body)
	}
}
