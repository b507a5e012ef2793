package sync_test

import (
	"testing"

	"rapport/internal/testkit"
)

// TestDecidersKeepSightOnPull: a manager who decided an expense and then
// left the chain keeps it and its approvals on their device, as the
// records API shows them (the pull's audience includes the deciders).
func TestDecidersKeepSightOnPull(t *testing.T) {
	e := newEnv(t)
	o := e.o
	o.SetOrg(t, map[string]any{"receipt_required_over": testkit.Yuan(10_000)})
	plan := testkit.MustCreate(t, o.App, nil, "plans", map[string]any{"customer": o.Customers["rita"].Id, "title": "Care",
		"period_start": testkit.Day(-10), "period_end": testkit.Day(10), "budget": testkit.Yuan(5000), "status": "approved"})
	x := testkit.MustCreate(t, o.App, nil, "expenses", map[string]any{"plan": plan.Id, "category": "other",
		"amount": testkit.Yuan(2000), "incurred_on": testkit.Day(0), "status": "submitted"})
	device := e.client("mia", "miadevice001")
	mustSync(t, device)
	if status, res := e.call("mia", "POST", "/api/collections/approvals/records", map[string]any{"expense": x.Id, "decision": "approve", "acknowledge_flags": true}); status != 200 {
		t.Fatal(status, res)
	}
	field := o.Reload(t, o.Teams["field"])
	field.Set("manager", o.Users["eve"].Id)
	if err := testkit.Save(o.App, nil, field); err != nil {
		t.Fatal(err)
	}
	mustSync(t, device)
	e.converged("mia", device)
	store := device.Store()
	if _, ok := store["expenses"][x.Id]; !ok {
		t.Errorf("mia's device lost the expense she decided")
	}
	if n := len(store["approvals"]); n != 1 {
		t.Errorf("mia's device holds %d approvals, want hers", n)
	}
}

// TestRetieringReachesPhones: when an admin raises tier B's minimum, the
// customers it re-tiers reach their owners' devices on the next pull.
func TestRetieringReachesPhones(t *testing.T) {
	e := newEnv(t)
	device := e.client("rita", "ritadevice01")
	mustSync(t, device)
	acme := e.o.Customers["rita"].Id
	if tier := device.Store()["customers"][acme]["tier"]; tier != "B" {
		t.Fatalf("Acme on rita's device: tier %v, want B", tier)
	}
	b, err := e.app.FindFirstRecordByData("tier_policies", "tier", "B")
	if err != nil {
		t.Fatal(err)
	}
	if status, res := e.call("ada", "PATCH", "/api/collections/tier_policies/records/"+b.Id, map[string]any{"min_annual_contract": testkit.Yuan(500_000)}); status != 200 {
		t.Fatal(status, res)
	}
	mustSync(t, device)
	if tier := device.Store()["customers"][acme]["tier"]; tier != "C" {
		t.Errorf("Acme on rita's device after B's minimum rose: tier %v, want C", tier)
	}
	e.converged("rita", device)
}
