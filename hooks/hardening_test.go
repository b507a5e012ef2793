package hooks_test

import (
	neturl "net/url"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/subscriptions"

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
		{"page", "two", "invalid_type", `page takes a whole number, not \"two\"`},
		{"perPage", "1.5", "invalid_type", "perPage takes a whole number"},
		{"skipTotal", "yes", "invalid_type", "skipTotal takes true or false"},
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
