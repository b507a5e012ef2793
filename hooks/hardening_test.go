package hooks_test

import (
	"bytes"
	neturl "net/url"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/subscriptions"

	"rapport/internal/flow"
	"rapport/internal/testkit"
	"rapport/internal/violation"
)

// batchOne sends one request through the batch API and returns its answer
// as if sent alone.
func batchOne(c *testkit.Client, as, method, u string, body any) testkit.Response {
	res := c.Do(as, "POST", "/api/batch", map[string]any{"requests": []any{map[string]any{"method": method, "url": u, "body": body}}})
	if res.Status == 200 {
		return res
	}
	return batchResponse(res)
}

// A rep's manager (users.manager) approves the rep's requests; the rep does
// not see that account, on any read path, nor learns its fields through a
// filter or sort on their own records.
func TestApproverAccountIsHidden(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	rita, mia := o.Users["rita"], o.Users["mia"]
	rita.Set("manager", mia.Id)
	if err := testkit.Save(app, nil, rita); err != nil {
		t.Fatal(err)
	}
	plan := mkPlan(t, o, "rita", "approved", 5000)
	x := mkExpense(t, o, plan, 100)
	if res := c.Do("rita", "PATCH", url(x), submit); res.Status != 200 || res.JSON()["approver"] != mia.Id {
		t.Fatalf("submit: %d %s", res.Status, res.Body)
	}

	if res := c.Do("rita", "GET", url(mia), nil); res.Status != 404 {
		t.Errorf("rita views her approver's account: %d %s", res.Status, res.Body)
	}
	if res := c.Do("rita", "GET", "/api/collections/users/records", nil); res.JSON()["totalItems"] != float64(1) {
		t.Errorf("rita lists accounts: %s", res.Body)
	}
	if res := c.Do("rita", "GET", url(x)+"?expand=approver", nil); strings.Contains(string(res.Body), "approval_limit") {
		t.Errorf("rita expands her approver: %s", res.Body)
	}
	if res := c.Do("rita", "PATCH", url(mia), `{"name":"Mia Q"}`); res.Status != 404 {
		t.Errorf("rita updates her approver's account: %d %s", res.Status, res.Body)
	}

	list := func(as, collection, param, value string) testkit.Response {
		return c.Do(as, "GET", "/api/collections/"+collection+"/records?"+param+"="+neturl.QueryEscape(value), nil)
	}
	for _, tc := range []struct{ as, collection, param, value string }{
		{"rita", "expenses", "filter", "approver.approval_limit > 50000"},
		{"rita", "expenses", "filter", "approver.approval_limit:lower = '100000'"},
		{"rita", "expenses", "sort", "-approver.approval_limit"},
		{"rita", "expenses", "filter", "rep.manager.role = 'manager'"},
		{"rita", "users", "filter", "manager.approval_limit > 0"},
		{"rita", "teams", "filter", "manager.approval_limit > 0"},
		{"rita", "teams", "filter", "users_via_team.approval_limit ?> 0"},
		{"rita", "approvals", "filter", "expense.approver.active = true"},
		{"mia", "expenses", "filter", "rep.approval_limit = 0"},
	} {
		res := list(tc.as, tc.collection, tc.param, tc.value)
		if res.Status != 403 || res.Code(tc.param) != "forbidden" || !strings.Contains(string(res.Body), "only their id and name") {
			t.Errorf("%s lists %s with %s %q: %d %s", tc.as, tc.collection, tc.param, tc.value, res.Status, res.Body)
		}
	}
	for _, tc := range []struct{ as, collection, param, value string }{
		{"rita", "expenses", "filter", "approver.name != '' && approver.id != ''"},
		{"rita", "expenses", "sort", "approver.name,-amount"},
		{"rita", "users", "filter", "approval_limit >= 0"}, // her own account
		{"fay", "expenses", "filter", "approver.approval_limit > 50000"},
		{"ada", "teams", "sort", "manager.approval_limit"},
		{"superuser", "expenses", "filter", "approver.approval_limit > 50000"},
	} {
		if res := list(tc.as, tc.collection, tc.param, tc.value); res.Status != 200 {
			t.Errorf("%s lists %s with %s %q: %d %s", tc.as, tc.collection, tc.param, tc.value, res.Status, res.Body)
		}
	}

	// Realtime: the subscription's filter is refused the same way.
	subscribe := func(as *core.Record, topic string) error {
		e := &core.RealtimeSubscribeRequestEvent{RequestEvent: &core.RequestEvent{App: app}, Client: subscriptions.NewDefaultClient(), Subscriptions: []string{topic}}
		e.Auth = as
		return app.OnRealtimeSubscribeRequest().Trigger(e, func(e *core.RealtimeSubscribeRequestEvent) error { return nil })
	}
	options := `?options=` + neturl.QueryEscape(`{"query":{"filter":"approver.approval_limit > 50000"}}`)
	if _, code := violation.Code(subscribe(rita, "expenses/*"+options)); code != "forbidden" {
		t.Errorf("rita subscribes with a filter on her approver's limit: %s", code)
	}
	if err := subscribe(o.Users["fay"], "expenses/*"+options); err != nil {
		t.Errorf("fay subscribes: %v", err)
	}
	if err := subscribe(rita, "users/"+mia.Id); err != nil {
		t.Errorf("a plain subscription: %v", err)
	}
}

// Nobody but the account's owner (and superusers) changes a password or
// e-mail: the refusal comes before any credential is checked, and is the
// same whatever was guessed.
func TestSignInFieldsAreTheOwners(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	rita := o.Users["rita"]

	for _, as := range []string{"fay", "ada", "mia"} {
		answers := map[string][][]byte{}
		for _, body := range []map[string]any{
			{"oldPassword": "wrong-guess", "password": "new-password-1", "passwordConfirm": "new-password-1"},
			{"oldPassword": "password123", "password": "new-password-1", "passwordConfirm": "new-password-1"},
			{"email": "someone@example.com"},
			{"email": "rita@example.com"},
			{"password": "new-password-1"},
			{"verified": false},
			{"emailVisibility": true},
		} {
			for how, res := range map[string]testkit.Response{"REST": c.Do(as, "PATCH", url(rita), body), "batch": batchOne(c, as, "PATCH", url(rita), body)} {
				if res.Status != 403 {
					t.Errorf("%s changes rita's %v (%s): %d %s", as, body, how, res.Status, res.Body)
				}
				answers[how] = append(answers[how], res.Body)
			}
		}
		// a wrong and a right old password, an unknown and the real
		// e-mail: one answer
		for how, a := range answers {
			if !bytes.Equal(a[0], a[1]) || !bytes.Equal(a[2], a[3]) {
				t.Errorf("%s (%s): different answers to different guesses:\n%s\n%s\n%s\n%s", as, how, a[0], a[1], a[2], a[3])
			}
		}
	}
	if now := reload(t, app, "users", rita.Id); now.Email() != "rita@example.com" || !now.ValidatePassword("password123") {
		t.Fatal("rita's sign-in changed")
	}
	// the model events hold an admin to it on every other path
	r := reload(t, app, "users", rita.Id)
	r.SetEmail("taken-over@example.com")
	if _, code := violation.Code(flow.Save(app, o.Users["ada"], r)); code != "forbidden" {
		t.Errorf("an admin's model save of rita's e-mail: %s", code)
	}

	// the owner and superusers still can
	if res := c.Do("rita", "PATCH", url(rita), map[string]any{"oldPassword": "password123", "password": "new-password-1", "passwordConfirm": "new-password-1"}); res.Status != 200 {
		t.Errorf("rita changes her password: %d %s", res.Status, res.Body)
	}
	if res := c.Do("superuser", "PATCH", url(rita), map[string]any{"password": "reset-by-root", "passwordConfirm": "reset-by-root"}); res.Status != 200 {
		t.Errorf("a superuser resets rita's password: %d %s", res.Status, res.Body)
	}
	if res := c.Do("ada", "PATCH", url(rita), map[string]any{"name": "Rita K"}); res.Status != 200 {
		t.Errorf("an admin edits rita's name: %d %s", res.Status, res.Body)
	}
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

// decision_note is the deciding approval's note: a server field.
func TestDecisionNoteIsTheApprovals(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	plan := mkPlan(t, o, "rita", "approved", 5000)
	draft := mkExpense(t, o, plan, 100)
	pending := mkExpense(t, o, plan, 200)
	if res := c.Do("rita", "PATCH", url(pending), submit); res.Status != 200 {
		t.Fatalf("submit: %s", res.Body)
	}
	note := map[string]any{"decision_note": "approved, says me"}
	for _, tc := range []struct {
		as string
		r  *core.Record
	}{{"rita", draft}, {"rita", pending}, {"mia", pending}, {"ada", pending}, {"superuser", pending}, {"rita", plan}} {
		for how, res := range map[string]testkit.Response{"REST": c.Do(tc.as, "PATCH", url(tc.r), note), "batch": batchOne(c, tc.as, "PATCH", url(tc.r), note)} {
			if res.Status != 400 || res.Code("decision_note") != "read_only" {
				t.Errorf("%s writes decision_note on %s (%s): %d %s", tc.as, tc.r.Collection().Name, how, res.Status, res.Body)
			}
		}
	}
	res := c.Do("rita", "POST", "/api/collections/plans/records", map[string]any{"customer": o.Customers["rita"].Id, "title": "Q1",
		"period_start": testkit.Day(0), "period_end": testkit.Day(30), "budget": 100, "decision_note": "pre-approved"})
	if res.Status != 400 || res.Code("decision_note") != "read_only" {
		t.Errorf("a plan created with a decision note: %d %s", res.Status, res.Body)
	}
	if res := c.Do("mia", "POST", approvalURL, map[string]any{"expense": pending.Id, "decision": "reject", "note": "no receipt"}); res.Status != 200 {
		t.Fatalf("reject: %s", res.Body)
	}
	if got := reload(t, app, "expenses", pending.Id).GetString("decision_note"); got != "no receipt" {
		t.Errorf("decision_note %q, want the rejection's note", got)
	}
}

// A budget's amount covers what is committed in what it covers, after any
// change of its shape and on creation, not only when its amount changes.
func TestBudgetReshapedBelowCommitted(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	plan := mkPlan(t, o, "rita", "approved", 5000)
	mkExpense(t, o, plan, 800, map[string]any{"status": "approved", "category": "gift"})
	robs := o.Budget(t, "rep", "stop", 500, map[string]any{"rep": o.Users["rob"].Id, "category": "gift"})
	warn := o.Budget(t, "rep", "warn", 500, map[string]any{"rep": o.Users["rita"].Id})
	if warn.GetInt("committed") != int(testkit.Yuan(800)) {
		t.Fatalf("rita's warn budget: committed %d", warn.GetInt("committed"))
	}
	for _, tc := range []struct {
		r    *core.Record
		body map[string]any
	}{
		{robs, map[string]any{"rep": o.Users["rita"].Id}},
		{robs, map[string]any{"scope": "team", "team": o.Teams["field"].Id}},
		{robs, map[string]any{"scope": "org"}},
		{warn, map[string]any{"on_exceed": "stop"}},
	} {
		for how, res := range map[string]testkit.Response{"REST": c.Do("fay", "PATCH", url(tc.r), tc.body), "batch": batchOne(c, "fay", "PATCH", url(tc.r), tc.body)} {
			if res.Status != 400 || res.Code("amount") != "budget_below_committed" || !strings.Contains(string(res.Body), "800.00") {
				t.Errorf("%v on %s (%s): %d %s", tc.body, tc.r.GetString("name"), how, res.Status, res.Body)
			}
		}
		unchanged(t, app, tc.r, "a refused reshape")
	}
	res := c.Do("fay", "POST", "/api/collections/budgets/records", map[string]any{"name": "Rita gifts", "scope": "rep", "rep": o.Users["rita"].Id,
		"category": "gift", "period": "year", "period_start": testkit.Day(0)[:4] + "-01-01", "amount": testkit.Yuan(500)})
	if res.Status != 400 || res.Code("amount") != "budget_below_committed" {
		t.Errorf("a budget created below what it covers: %d %s", res.Status, res.Body)
	}
	// reshaping with an amount that covers it, or onto nothing committed
	if res := c.Do("fay", "PATCH", url(robs), map[string]any{"rep": o.Users["rita"].Id, "amount": testkit.Yuan(900)}); res.Status != 200 {
		t.Errorf("reshape with a covering amount: %d %s", res.Status, res.Body)
	}
	if res := c.Do("fay", "PATCH", url(warn), map[string]any{"category": "meal", "on_exceed": "stop"}); res.Status != 200 {
		t.Errorf("reshape onto nothing committed: %d %s", res.Status, res.Body)
	}
}

// Bodies, filters and sorts PocketBase cannot read are explained, and
// deletes refused because of expenses say so.
func TestClearErrors(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	plan := mkPlan(t, o, "rita", "approved", 5000)
	x := mkExpense(t, o, plan, 100)

	for _, tc := range []struct {
		name, method, url, body, field, says string
	}{
		{"truncated", "PATCH", url(x), `{"amount":`, "body", "offset 10"},
		{"syntax", "PATCH", url(x), `{"amount" 5}`, "body", "invalid character '5' after object key at offset 10"},
		{"trailing comma", "POST", "/api/collections/expenses/records", `{"amount":5,}`, "body", "at offset 12"},
		{"1e400", "PATCH", url(x), `{"description":"x","amount":1e400}`, "amount", `\"amount\" is 1e400 (at offset 28)`},
		{"batch 1e400", "POST", "/api/batch", `{"requests":[{"method":"PATCH","url":"` + url(x) + `","body":{"amount":1e400}}]}`, "amount", `requests[0].body.amount`},
		{"batch syntax", "POST", "/api/batch", `{"requests":[}`, "body", "offset 13"},
		{"a list for a record", "POST", "/api/collections/expenses/records", `[1,2]`, "body", "The request body takes an object, not array"},
		{"text for the batch's requests", "POST", "/api/batch", `{"requests":"x"}`, "requests", `takes a list, not string`},
	} {
		res := c.Do("rita", tc.method, tc.url, tc.body)
		if res.Status != 400 || res.Code(tc.field) != "invalid_json" || !strings.Contains(string(res.Body), tc.says) {
			t.Errorf("%s: %d %s", tc.name, res.Status, res.Body)
		}
	}
	unchanged(t, app, x, "unreadable bodies")

	for _, tc := range []struct{ param, value, code, says string }{
		{"filter", "status = 'draft' &&", "invalid_filter", "cannot be read"},
		{"filter", "nosuchfield = 1", "invalid_filter", "nosuchfield"},
		{"sort", "-nosuchfield", "invalid_sort", `\"nosuchfield\" is not a field of expenses`},
	} {
		res := c.Do("rita", "GET", "/api/collections/expenses/records?"+tc.param+"="+neturl.QueryEscape(tc.value), nil)
		if res.Status != 400 || res.Code(tc.param) != tc.code || !strings.Contains(string(res.Body), tc.says) {
			t.Errorf("%s %q: %d %s", tc.param, tc.value, res.Status, res.Body)
		}
	}

	// A draft plan with expenses: the cause, counted.
	draft := mkPlan(t, o, "rita", "draft", 100)
	mkExpense(t, o, draft, 10)
	if res := c.Do("rita", "DELETE", url(draft), nil); res.Status != 400 || res.Code("id") != "locked" || !strings.Contains(string(res.Body), "This plan has 1 expense recorded against it") {
		t.Errorf("deleting a draft plan with an expense: %d %s", res.Status, res.Body)
	}
	// A visit another rep's expense names: counted, not named.
	visit := testkit.MustCreate(t, app, nil, "visits", map[string]any{"customer": o.Customers["rita"].Id, "due_date": testkit.Day(1)})
	linked := mkExpense(t, o, plan, 20, map[string]any{"visit": visit.Id, "status": "approved", "description": "secret dinner"})
	acme := reload(t, app, "customers", o.Customers["rita"].Id)
	acme.Set("owner", o.Users["rob"].Id) // the scheduled visit goes to rob, the expense stays rita's
	if err := testkit.Save(app, nil, acme); err != nil {
		t.Fatal(err)
	}
	res := c.Do("rob", "DELETE", url(visit), nil)
	if res.Status != 400 || res.Code("id") != "locked" || !strings.Contains(string(res.Body), "linked to 1 expense") ||
		strings.Contains(string(res.Body), linked.Id) || strings.Contains(string(res.Body), "secret dinner") {
		t.Errorf("rob deletes a visit rita's expense names: %d %s", res.Status, res.Body)
	}
	if reload(t, app, "expenses", linked.Id).GetString("visit") != visit.Id {
		t.Error("the expense lost its visit")
	}
}
