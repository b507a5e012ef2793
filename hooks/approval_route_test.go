package hooks_test

import (
	"slices"
	"strings"
	"testing"

	"rapport/internal/actor"
	"rapport/internal/testkit"
	"rapport/internal/violation"
)

// nameOf is the Org name of user id.
func nameOf(o *testkit.Org, id string) string {
	for name, u := range o.Users {
		if u.Id == id {
			return name
		}
	}
	return id
}

// approveAll lets each current approver approve until the record leaves
// `submitted`, and returns who decided, in order.
func approveAll(t *testing.T, c *testkit.Client, o *testkit.Org, collection, field, id string) []string {
	t.Helper()
	var deciders []string
	for range 10 {
		r := reload(t, o.App, collection, id)
		if r.GetString("status") != "submitted" {
			return deciders
		}
		who := nameOf(o, r.GetString("approver"))
		res := c.Do(who, "POST", approvalURL, map[string]any{field: id, "decision": "approve", "acknowledge_flags": true})
		if res.Status != 200 {
			t.Fatalf("%s approving: %d %s", who, res.Status, res.Body)
		}
		if got := int(res.JSON()["level"].(float64)); got != len(deciders)+1 {
			t.Errorf("%s decided at level %d, want %d", who, got, len(deciders)+1)
		}
		deciders = append(deciders, who)
	}
	t.Fatalf("%s %s never left submitted", collection, id)
	return nil
}

func TestRoutingByLimit(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	// mia 1,000, max 10,000, dana 100,000 yuan; beyond that finance.
	for _, band := range []struct {
		yuan int64
		want []string
	}{
		{800, []string{"mia"}},
		{1000, []string{"mia"}},
		{5000, []string{"mia", "max"}},
		{50_000, []string{"mia", "max", "dana"}},
		{500_000, []string{"mia", "max", "dana", "fay"}},
	} {
		plan := mkPlan(t, o, "rita", "draft", band.yuan)
		if res := c.Do("rita", "PATCH", "/api/collections/plans/records/"+plan.Id, submit); res.Status != 200 {
			t.Fatalf("submit: %s", res.Body)
		}
		got := approveAll(t, c, o, "plans", "plan", plan.Id)
		if !slices.Equal(got, band.want) {
			t.Errorf("%d yuan: approved by %v, want %v", band.yuan, got, band.want)
		}
		p := reload(t, app, "plans", plan.Id)
		if p.GetString("status") != "approved" || p.GetInt("approved_budget") != int(testkit.Yuan(band.yuan)) ||
			p.GetString("approved_by") != o.Users[got[len(got)-1]].Id || p.GetString("approver") != "" {
			t.Errorf("%d yuan: plan after approval %v", band.yuan, p.PublicExport())
		}
		var finals []bool
		approvals, _ := app.FindAllRecords("approvals")
		for _, a := range approvals {
			if a.GetString("plan") == plan.Id {
				finals = append(finals, a.GetBool("final"))
			}
		}
		if len(finals) != len(band.want) || slices.Index(finals, true) != len(finals)-1 {
			t.Errorf("%d yuan: final flags %v", band.yuan, finals)
		}
	}
}

func TestRoutingDecisionRights(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	submitPlan := func(yuan int64) string {
		plan := mkPlan(t, o, "rita", "draft", yuan)
		if res := c.Do("rita", "PATCH", "/api/collections/plans/records/"+plan.Id, submit); res.Status != 200 {
			t.Fatalf("submit: %s", res.Body)
		}
		return plan.Id
	}
	decide := func(as, plan, decision string) testkit.Response {
		return c.Do(as, "POST", approvalURL, map[string]any{"plan": plan, "decision": decision})
	}

	// Someone above the current approver decides: dana's limit covers it.
	p := submitPlan(50_000)
	if res := decide("dana", p, "approve"); res.Status != 200 || !strings.Contains(string(res.Body), `"final":true`) {
		t.Fatalf("dana above mia: %d %s", res.Status, res.Body)
	}
	if s := reload(t, app, "plans", p).GetString("status"); s != "approved" {
		t.Errorf("status %s", s)
	}

	// max above mia with too small a limit: the request moves above max.
	p = submitPlan(50_000)
	if res := decide("max", p, "approve"); res.Status != 200 || strings.Contains(string(res.Body), `"final":true`) {
		t.Fatalf("max above mia: %d %s", res.Status, res.Body)
	}
	if r := reload(t, app, "plans", p); r.GetString("approver") != o.Users["dana"].Id || r.GetInt("approval_level") != 2 {
		t.Errorf("after max: approver %s level %d", nameOf(o, r.GetString("approver")), r.GetInt("approval_level"))
	}
	// Below the current approver: not allowed; not in scope: 404.
	if res := decide("mia", p, "approve"); res.Status != 403 || res.Code("plan") != "not_approver" {
		t.Errorf("mia below dana: %d %s", res.Status, res.Body)
	}
	if res := decide("rob", p, "approve"); res.Status != 404 {
		t.Errorf("rob: %d %s", res.Status, res.Body)
	}
	if res := decide("ada", p, "approve"); res.Status != 403 || res.Code("plan") != "not_approver" {
		t.Errorf("admin: %d %s", res.Status, res.Body)
	}
	if res := decide("superuser", p, "approve"); res.Status != 403 || res.Code("approver") != "not_approver" {
		t.Errorf("superuser: %d %s", res.Status, res.Body)
	}
	if res := decide("dana", p, "reject"); res.Status != 200 {
		t.Fatalf("dana rejects: %s", res.Body)
	}
	if s := reload(t, app, "plans", p).GetString("status"); s != "rejected" {
		t.Errorf("after rejection: %s", s)
	}

	// Chain ran out: the request waits for finance, and any finance user decides.
	second := testkit.MustCreate(t, app, nil, "users", map[string]any{"name": "fin2", "role": "finance", "active": true,
		"email": "fin2@example.com", "password": "password123", "passwordConfirm": "password123"})
	o.Users["fin2"] = second
	p = submitPlan(500_000)
	for _, who := range []string{"mia", "max", "dana"} {
		if res := decide(who, p, "approve"); res.Status != 200 {
			t.Fatalf("%s: %s", who, res.Body)
		}
	}
	if r := reload(t, app, "plans", p); r.GetString("approver") != o.Users["fay"].Id {
		t.Errorf("after the chain: approver %s", nameOf(o, r.GetString("approver")))
	}
	if res := decide("dana", p, "approve"); res.Status != 403 {
		t.Errorf("dana after the chain ran out: %d %s", res.Status, res.Body)
	}
	if res := decide("fin2", p, "approve"); res.Status != 200 || !strings.Contains(string(res.Body), `"final":true`) {
		t.Errorf("another finance user: %d %s", res.Status, res.Body)
	}
}

func TestRoutingEscalate(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	plan := mkPlan(t, o, "rita", "approved", 5000)
	o.Budget(t, "rep", "escalate", 100, map[string]any{"rep": o.Users["rita"].Id})
	visitDone(t, o, "rita", testkit.Day(0))
	x := mkExpense(t, o, plan, 150)
	if res := c.Do("rita", "PATCH", "/api/collections/expenses/records/"+x.Id, submit); res.Status != 200 {
		t.Fatalf("submit: %s", res.Body)
	}
	got := approveAll(t, c, o, "expenses", "expense", x.Id)
	if !slices.Equal(got, []string{"mia", "fay"}) {
		t.Errorf("escalated expense approved by %v, want [mia fay]", got)
	}
	if r := reload(t, app, "expenses", x.Id); r.GetString("status") != "approved" || !r.GetBool("finance_review") {
		t.Errorf("after finance review: %v", r.PublicExport())
	}
}

func TestPlanBudgetChange(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	plan := mkPlan(t, o, "rita", "approved", 200)
	url := "/api/collections/plans/records/" + plan.Id
	if res := c.Do("rita", "PATCH", url, `{"budget":80000}`); res.Status != 200 {
		t.Fatalf("raise budget: %s", res.Body)
	}
	// Until re-approved the old budget is in force: 150 fits, 150 more does not.
	first := mkExpense(t, o, plan, 150)
	if res := c.Do("rita", "PATCH", "/api/collections/expenses/records/"+first.Id, submit); res.Status != 200 {
		t.Fatalf("expense under the old budget: %s", res.Body)
	}
	second := mkExpense(t, o, plan, 150)
	if res := c.Do("rita", "PATCH", "/api/collections/expenses/records/"+second.Id, submit); res.Code("amount") != "plan_budget_exceeded" {
		t.Fatalf("expense over the old budget: %s", res.Body)
	}
	// A rejected budget change leaves the plan approved as it was.
	if res := c.Do("mia", "POST", approvalURL, map[string]any{"plan": plan.Id, "decision": "reject", "note": "not this quarter"}); res.Status != 200 {
		t.Fatalf("reject: %s", res.Body)
	}
	p := reload(t, app, "plans", plan.Id)
	if p.GetString("status") != "approved" || p.GetInt("budget") != 20000 || p.GetInt("approved_budget") != 20000 || p.GetString("decision_note") != "not this quarter" {
		t.Errorf("after rejected change: %v", p.PublicExport())
	}
	// Approved change: the new budget is in force.
	if res := c.Do("rita", "PATCH", url, `{"budget":80000}`); res.Status != 200 {
		t.Fatalf("raise again: %s", res.Body)
	}
	if got := approveAll(t, c, o, "plans", "plan", plan.Id); !slices.Equal(got, []string{"mia"}) {
		t.Errorf("approved by %v", got)
	}
	if res := c.Do("rita", "PATCH", "/api/collections/expenses/records/"+second.Id, submit); res.Status != 200 {
		t.Fatalf("expense under the new budget: %s", res.Body)
	}
}

func TestApprovalsAreAppendOnlyForServerCode(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	plan := mkPlan(t, o, "rita", "approved", 1000)
	x := mkExpense(t, o, plan, 100, map[string]any{"status": "submitted"})
	ap := testkit.MustCreate(t, app, o.Users["mia"], "approvals", map[string]any{"expense": x.Id, "decision": "reject"})
	ap = reload(t, app, "approvals", ap.Id)
	ap.Set("decision", "approve")
	actor.AsServer(ap)
	if _, code := violation.Code(app.Save(ap)); code != "locked" {
		t.Errorf("server update: %q", code)
	}
	if _, code := violation.Code(app.Delete(ap)); code != "locked" {
		t.Errorf("server delete: %q", code)
	}
	if ap.GetString("approver") != o.Users["mia"].Id || ap.GetInt("level") != 1 || !ap.GetBool("final") {
		t.Errorf("server fields of the approval: %v", ap.PublicExport())
	}

	// Through the API: whoever sees the approval is told it is permanent,
	// anyone else that there is no such record.
	c := testkit.NewClient(t, o)
	url := approvalURL + "/" + ap.Id
	for _, as := range []string{"mia", "rita", "dana", "superuser"} {
		if res := c.Do(as, "PATCH", url, `{"note":"changed my mind"}`); res.Status != 400 || res.Code("decision") != "locked" {
			t.Errorf("%s edits the approval: %d %s", as, res.Status, res.Body)
		}
		if res := c.Do(as, "DELETE", url, nil); res.Status != 400 || res.Code("decision") != "locked" {
			t.Errorf("%s deletes the approval: %d %s", as, res.Status, res.Body)
		}
	}
	if res := c.Do("eve", "PATCH", url, `{"note":"x"}`); res.Status != 404 {
		t.Errorf("eve, who cannot see it, edits the approval: %d %s", res.Status, res.Body)
	}
	if got := reload(t, app, "approvals", ap.Id); got.GetString("decision") != "reject" || got.GetString("note") != "" {
		t.Errorf("the approval changed: %v", got.PublicExport())
	}
}

// A request never stays with someone who left its chain: replacing a team's
// manager, deactivating an approver or a finance user moves the requests
// they held on, and nothing else.
func TestOrgChartChangesRerouteStrandedRequests(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	submitPlan := func(owner string, yuan int64) string {
		plan := mkPlan(t, o, owner, "draft", yuan)
		if res := c.Do(owner, "PATCH", "/api/collections/plans/records/"+plan.Id, submit); res.Status != 200 {
			t.Fatalf("submit: %s", res.Body)
		}
		return plan.Id
	}
	waits := func(plan string) (string, int) {
		r := reload(t, app, "plans", plan)
		return nameOf(o, r.GetString("approver")), r.GetInt("approval_level")
	}
	expect := func(when, plan, approver string, level int) {
		t.Helper()
		if who, l := waits(plan); who != approver || l != level {
			t.Errorf("%s: waits for %s at level %d, want %s at %d", when, who, l, approver, level)
		}
	}

	atMia := submitPlan("rita", 500)
	atDana := submitPlan("rita", 50_000) // mia → max → dana
	for _, who := range []string{"mia", "max"} {
		if res := c.Do(who, "POST", approvalURL, map[string]any{"plan": atDana, "decision": "approve"}); res.Status != 200 {
			t.Fatalf("%s approves: %d %s", who, res.Status, res.Body)
		}
	}
	danaVersion := reload(t, app, "plans", atDana).GetInt("version")

	// eve replaces mia as field's manager: rita's chain is now eve → dana.
	if res := c.Do("ada", "PATCH", "/api/collections/teams/records/{team:field}", map[string]any{"manager": o.Users["eve"].Id}); res.Status != 200 {
		t.Fatalf("ada replaces mia: %d %s", res.Status, res.Body)
	}
	expect("after eve replaced mia", atMia, "eve", 1)
	expect("after eve replaced mia", atDana, "dana", 3)
	if v := reload(t, app, "plans", atDana).GetInt("version"); v != danaVersion {
		t.Errorf("a request still with its approver was saved again: version %d → %d", danaVersion, v)
	}
	if res := c.Do("mia", "GET", "/api/collections/plans/records/"+atMia, nil); res.Status != 404 {
		t.Errorf("mia still views the plan she no longer approves: %d", res.Status)
	}
	if res := c.Do("mia", "POST", approvalURL, map[string]any{"plan": atMia, "decision": "approve"}); res.Status != 404 {
		t.Errorf("mia still decides: %d %s", res.Status, res.Body)
	}
	if res := c.Do("eve", "POST", approvalURL, map[string]any{"plan": atMia, "decision": "approve"}); res.Status != 200 {
		t.Errorf("eve decides: %d %s", res.Status, res.Body)
	}

	// An approver deactivated: the next active person in the chain.
	atEve := submitPlan("rob", 500)
	deactivate := func(name string) testkit.Response {
		return c.Do("ada", "PATCH", "/api/collections/users/records/{user:"+name+"}", `{"active":false}`)
	}
	if res := deactivate("eve"); res.Status != 200 {
		t.Fatalf("ada deactivates eve: %d %s", res.Status, res.Body)
	}
	expect("after eve left", atEve, "dana", 1)

	// The finance level stays with finance; without another finance user
	// the change is refused and nothing moves.
	atFay := submitPlan("rita", 500_000)
	if res := c.Do("dana", "POST", approvalURL, map[string]any{"plan": atFay, "decision": "approve"}); res.Status != 200 {
		t.Fatalf("dana approves: %d %s", res.Status, res.Body)
	}
	expect("after dana", atFay, "fay", 2)
	if res := deactivate("fay"); res.Status != 400 || res.Code("approver") != "no_approver" {
		t.Errorf("the only finance user deactivated under a waiting request: %d %s", res.Status, res.Body)
	}
	if !reload(t, app, "users", o.Users["fay"].Id).GetBool("active") {
		t.Error("the refused deactivation was written")
	}
	o.Users["gus"] = testkit.MustCreate(t, app, nil, "users", map[string]any{"name": "gus", "role": "finance", "active": true,
		"email": "gus@example.com", "password": "password123", "passwordConfirm": "password123"})
	if res := deactivate("fay"); res.Status != 200 {
		t.Fatalf("ada deactivates fay: %d %s", res.Status, res.Body)
	}
	expect("after fay left", atFay, "gus", 2)
}
