package hooks_test

import (
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
