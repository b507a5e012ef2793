package hooks_test

import (
	"strings"
	"testing"

	"rapport/internal/testkit"
)

// The tier follows annual_contract_amount and the tier policies unless a
// manager locked it.
func TestTier(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	res := c.Do("rita", "POST", "/api/collections/customers/records", `{"name":"Gull","annual_contract_amount":120000000,"tier":"D"}`)
	if res.Status != 200 || res.JSON()["tier"] != "A" {
		t.Fatalf("1,200,000 yuan customer: %d %s", res.Status, res.Body)
	}
	url := "/api/collections/customers/records/" + res.JSON()["id"].(string)
	tier := func(step string, want string) {
		t.Helper()
		if got := c.Do("rita", "GET", url, nil).JSON()["tier"]; got != want {
			t.Errorf("%s: tier %v, want %s", step, got, want)
		}
	}
	c.Do("mia", "PATCH", url, `{"annual_contract_amount":10000000}`) // not the rep: TestContractAmountIsNotTheReps
	tier("100,000 yuan", "C")
	c.Do("rita", "PATCH", url, `{"tier":"A"}`)
	tier("a rep's hand-set tier is recomputed", "C")

	// ada lowers B's minimum to 80,000 yuan: the customer moves at once.
	b, err := app.FindFirstRecordByData("tier_policies", "tier", "B")
	if err != nil {
		t.Fatal(err)
	}
	if res := c.Do("ada", "PATCH", "/api/collections/tier_policies/records/"+b.Id, `{"min_annual_contract":8000000}`); res.Status != 200 {
		t.Fatalf("policy change: %d %s", res.Status, res.Body)
	}
	tier("after the policy change", "B")

	for _, body := range []string{`{"tier_locked":true}`, `{"tier_locked":true,"tier":"A"}`} {
		if res := c.Do("rita", "PATCH", url, body); res.Status != 403 || res.Code("tier_locked") != "forbidden" {
			t.Errorf("rep locks the tier %s: %d %s", body, res.Status, res.Body)
		}
	}
	if res := c.Do("mia", "PATCH", url, `{"tier_locked":true,"tier":"A"}`); res.Status != 200 {
		t.Fatalf("manager locks tier A: %d %s", res.Status, res.Body)
	}
	c.Do("mia", "PATCH", url, `{"annual_contract_amount":0}`)
	tier("locked", "A")
	if res := c.Do("rita", "PATCH", url, `{"tier":"D"}`); res.Status != 403 {
		t.Errorf("rep changes a locked tier: %d %s", res.Status, res.Body)
	}
	if res := c.Do("ada", "PATCH", url, `{"tier_locked":false}`); res.Status != 200 {
		t.Fatalf("admin unlocks: %d %s", res.Status, res.Body)
	}
	tier("unlocked", "D")
}

// After creation only a manager, director, finance or admin changes a
// customer's annual_contract_amount (it sets the tier, whose limits bound
// the rep's spending); the change is audited as theirs.
func TestContractAmountIsNotTheReps(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	acme := o.Customers["rita"]
	raise := map[string]any{"annual_contract_amount": testkit.Yuan(5_000_000)}
	for how, res := range map[string]testkit.Response{"REST": c.Do("rita", "PATCH", url(acme), raise), "batch": batchOne(c, "rita", "PATCH", url(acme), raise)} {
		if res.Status != 403 || res.Code("annual_contract_amount") != "forbidden" || !strings.Contains(string(res.Body), "manager, director, finance or an administrator") {
			t.Errorf("rita raises her customer's contract (%s): %d %s", how, res.Status, res.Body)
		}
	}
	unchanged(t, app, acme, "rita's raise")
	if res := c.Do("rita", "POST", "/api/collections/customers/records", map[string]any{"name": "Dove", "annual_contract_amount": testkit.Yuan(5_000_000)}); res.Status != 200 || res.JSON()["tier"] != "A" {
		t.Errorf("rita creates a customer with its contract: %d %s", res.Status, res.Body)
	}
	if res := c.Do("rita", "PATCH", url(acme), map[string]any{"name": "Acme Ltd", "annual_contract_amount": acme.GetInt("annual_contract_amount")}); res.Status != 200 {
		t.Errorf("rita edits her customer, contract unchanged: %d %s", res.Status, res.Body)
	}

	for _, as := range []string{"mia", "fay", "ada"} {
		raise["annual_contract_amount"] = raise["annual_contract_amount"].(int64) + 100
		if res := c.Do(as, "PATCH", url(acme), raise); res.Status != 200 || res.JSON()["tier"] != "A" {
			t.Errorf("%s sets the contract: %d %s", as, res.Status, res.Body)
		}
		entry, err := app.FindFirstRecordByFilter("audit_log", "record_id = {:id} && actor = {:actor}", map[string]any{"id": acme.Id, "actor": o.Users[as].Id})
		if err != nil || !strings.Contains(entry.GetString("changes"), "annual_contract_amount") {
			t.Errorf("%s's change is not audited as theirs: %v %v", as, err, entry)
		}
	}
	if res := c.Do("fay", "PATCH", url(acme), map[string]any{"name": "Acme by finance"}); res.Status != 403 || res.Code("name") != "forbidden" {
		t.Errorf("finance renames a customer: %d %s", res.Status, res.Body)
	}
}
