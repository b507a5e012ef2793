package hooks_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/subscriptions"

	"rapport/internal/flow"
	"rapport/internal/testkit"
)

// scopeRoles of the scope matrix, in column order: the owning rep, another rep of
// the same team, the team's manager, another team's manager, the director
// above both, finance, admin, a guest and a superuser.
var scopeRoles = []string{"rita", "rob", "mia", "eve", "dana", "fay", "ada", "", "superuser"}

// scopeWorld is the standard org plus one record of every business
// collection per rep, seeded as the server.
type scopeWorld struct {
	*testkit.Org
	target map[string]string // collection → the record of rita's the matrix views and updates
}

func seedScope(t testing.TB, app core.App) *scopeWorld {
	o := testkit.NewOrg(t, app)
	w := &scopeWorld{Org: o, target: map[string]string{}}
	u := o.Users
	for _, rep := range []string{"rita", "rob", "ed"} {
		customer := o.Customers[rep].Id
		draft := seedPlan(t, app, customer, "draft")
		visit := testkit.MustCreate(t, app, nil, "visits", map[string]any{"customer": customer, "due_date": testkit.Day(0)})
		if rep == "rob" {
			continue
		}
		approved := seedPlan(t, app, customer, "approved")
		expense := seedExpense(t, app, approved.Id)
		approval, err := app.FindFirstRecordByData("approvals", "plan", approved.Id)
		if err != nil {
			t.Fatal(err)
		}
		if rep == "rita" {
			w.target = map[string]string{"customers": customer, "plans": draft.Id, "visits": visit.Id,
				"expenses": expense.Id, "approvals": approval.Id}
		}
	}
	budget := func(scope, team, rep string) *core.Record {
		return testkit.MustCreate(t, app, nil, "budgets", map[string]any{"name": scope + team + rep, "scope": scope, "team": team, "rep": rep,
			"period": "year", "period_start": testkit.Day(0)[:4] + "-01-01", "amount": testkit.Yuan(50_000), "on_exceed": "warn"})
	}
	budget("org", "", "")
	for _, team := range []string{"sales", "field", "east"} {
		budget("team", o.Teams[team].Id, "")
	}
	w.target["budgets"] = budget("rep", "", u["rita"].Id).Id
	budget("rep", "", u["ed"].Id)

	d, err := app.FindFirstRecordByData("tier_policies", "tier", "D")
	if err != nil {
		t.Fatal(err)
	}
	s, err := app.FindFirstRecordByFilter("org_settings", "")
	if err != nil {
		t.Fatal(err)
	}
	w.target["tier_policies"], w.target["org_settings"] = d.Id, s.Id
	w.target["teams"], w.target["users"] = o.Teams["field"].Id, u["rita"].Id
	audit, _ := app.FindFirstRecordByFilter("audit_log", "")
	if audit != nil {
		w.target["audit_log"] = audit.Id
	}
	return w
}

// seedPlan creates a plan for customer as the server and brings it to
// status through the rules (the owner submits, the approver decides).
func seedPlan(t testing.TB, app core.App, customer, status string) *core.Record {
	p := testkit.MustCreate(t, app, nil, "plans", map[string]any{"customer": customer, "title": status + " plan",
		"methods": []string{"visit", "meal"}, "period_start": testkit.Day(-30), "period_end": testkit.Day(60),
		"budget": testkit.Yuan(500)})
	if err := flow.Plan(app, p, status); err != nil {
		t.Fatal(err)
	}
	return p
}

func seedExpense(t testing.TB, app core.App, plan string) *core.Record {
	return testkit.MustCreate(t, app, nil, "expenses", map[string]any{"plan": plan, "category": "meal",
		"amount": testkit.Yuan(80), "incurred_on": testkit.Day(0), "description": "lunch"})
}

// allRecords: every record of the collection (finance, admin, superuser lists).
const allRecords = -1

// scopeRow is one collection of the matrix. Statuses are given per role
// in the order of scopeRoles; "-" leaves a cell to the tests of the rule that
// decides it.
type scopeRow struct {
	collection string
	list       []int // visible records per role (allRecords = every record)
	view       string
	create     string
	createBody string
	update     string
	updateBody string
	del        string
	fresh      func(t testing.TB, w *scopeWorld) string // a new record of rita's to delete
}

var (
	ritasViewers = "200 404 200 404 200 200 200 404 200"
	everyone     = "200 200 200 200 200 200 200 404 200"
	ownerWrites  = "200 404 403 404 403 403 200 404 200"
	ownerDeletes = "204 404 403 404 403 403 204 404 204"
	// configuration everyone sees: the other roles are told 403 (hooks/stage_writers.go)
	adminWrites  = "403 403 403 403 403 403 200 404 200"
	adminDeletes = "403 403 403 403 403 403 204 404 204"
	seenLocked   = "400 404 400 404 400 400 400 404 400" // locked, for whoever sees it
	noAPI        = "403 403 403 403 403 403 403 403 403"
)

func TestScopeMatrix(t *testing.T) {
	app := testkit.NewApp(t)
	w := seedScope(t, app)
	c := testkit.NewClient(t, w.Org)
	year := testkit.Day(0)[:4]
	planBody := `{"customer":"{customer:rita}","title":"New","period_start":"` + year + `-01-01","period_end":"` + year + `-12-31","budget":100}`

	rows := []scopeRow{
		{collection: "customers", list: []int{1, 1, 2, 1, 3, allRecords, allRecords, 0, allRecords}, view: ritasViewers,
			create: "200 200 200 200 200 403 200 400 400", createBody: `{"name":"New Co"}`,
			update: "200 404 200 404 200 403 200 404 200", updateBody: `{"industry":"Retail %s"}`,
			del: "403 404 403 404 403 403 204 404 204", fresh: func(t testing.TB, w *scopeWorld) string {
				return testkit.MustCreate(t, w.App, w.Users["rita"], "customers", map[string]any{"name": "Gone"}).Id
			}},
		{collection: "plans", list: []int{2, 1, 3, 2, 5, allRecords, allRecords, 0, allRecords}, view: ritasViewers,
			create: "200 400 400 400 400 400 200 400 200", createBody: planBody,
			update: ownerWrites, updateBody: `{"measures":"call %s every month"}`,
			del: ownerDeletes, fresh: func(t testing.TB, w *scopeWorld) string {
				return seedPlan(t, w.App, w.Customers["rita"].Id, "draft").Id
			}},
		{collection: "visits", list: []int{1, 1, 2, 1, 3, allRecords, allRecords, 0, allRecords}, view: ritasViewers,
			create: "200 400 400 400 400 400 200 400 200", createBody: `{"customer":"{customer:rita}","due_date":"` + testkit.Day(0) + `"}`,
			update: ownerWrites, updateBody: `{"notes":"%s brings the brochure"}`,
			del: ownerDeletes, fresh: func(t testing.TB, w *scopeWorld) string {
				return testkit.MustCreate(t, w.App, nil, "visits", map[string]any{"customer": w.Customers["rita"].Id}).Id
			}},
		{collection: "expenses", list: []int{1, 0, 1, 1, 2, allRecords, allRecords, 0, allRecords}, view: ritasViewers,
			create:     "200 400 400 400 400 400 200 400 200",
			createBody: `{"plan":"{plan:rita}","category":"meal","amount":100,"incurred_on":"` + testkit.Day(0) + `"}`,
			update:     ownerWrites, updateBody: `{"description":"dinner with %s"}`,
			del: ownerDeletes, fresh: func(t testing.TB, w *scopeWorld) string {
				return seedExpense(t, w.App, w.Refs["plan:rita"]).Id
			}},
		{collection: "approvals", list: []int{1, 0, 1, 1, 2, allRecords, allRecords, 0, allRecords}, view: ritasViewers,
			// decisions are history: superusers included
			update: seenLocked, updateBody: `{"note":"%s changed their mind"}`, del: seenLocked},
		{collection: "budgets", list: []int{4, 3, 4, 3, 6, allRecords, allRecords, 0, allRecords}, view: ritasViewers,
			create:     "400 400 400 400 400 200 200 400 200",
			createBody: `{"name":"Q","scope":"org","period":"year","period_start":"` + year + `-01-01","amount":100,"on_exceed":"warn"}`,
			update:     "403 404 403 404 403 200 200 404 200", updateBody: `{"name":"budget %s"}`,
			del: "403 404 403 404 403 204 204 404 204", fresh: func(t testing.TB, w *scopeWorld) string {
				return testkit.MustCreate(t, w.App, nil, "budgets", map[string]any{"name": "gone", "scope": "rep", "rep": w.Users["rita"].Id,
					"period": "year", "period_start": year + "-01-01", "amount": 100}).Id
			}},
		{collection: "tier_policies", list: []int{4, 4, 4, 4, 4, 4, 4, 0, 4}, view: everyone,
			// every tier already has its policy: even an admin's new one is a duplicate
			create: "400 400 400 400 400 400 400 400 400", createBody: `{"tier":"A","min_annual_contract":1}`,
			update: adminWrites, updateBody: `{"label":"Basic care %s"}`,
			del: "403 403 403 403 403 403 400 404 400"}, // never deleted: locked
		{collection: "org_settings", list: []int{1, 1, 1, 1, 1, 1, 1, 0, 1}, view: everyone,
			// one record, never duplicated nor removed: superusers included
			create: "400 400 400 400 400 400 400 400 400", createBody: `{"currency":"CNY","timezone":"UTC"}`,
			update: adminWrites, updateBody: `{"approval_digest_hours":%d}`,
			del: "403 403 403 403 403 403 400 404 400"},
		{collection: "teams", list: []int{4, 4, 4, 4, 4, 4, 4, 0, 4}, view: everyone,
			create: "400 400 400 400 400 400 200 400 200", createBody: `{"name":"West","parent":"{team:hq}"}`,
			update: adminWrites, updateBody: `{"name":"Field force %s"}`,
			del: adminDeletes, fresh: func(t testing.TB, w *scopeWorld) string {
				return testkit.MustCreate(t, w.App, nil, "teams", map[string]any{"name": "Gone", "parent": w.Teams["east"].Id}).Id
			}},
		{collection: "users", list: []int{1, 1, 3, 2, 9, 9, 9, 0, 9}, view: ritasViewers,
			create:     "400 400 400 400 400 400 200 400 200",
			createBody: `{"email":"new-%s@example.com","password":"password123","passwordConfirm":"password123","name":"New"}`,
			update:     "200 404 403 404 403 403 200 404 200", updateBody: `{"name":"Rita %s"}`,
			del: "404 404 404 404 404 403 204 404 204", fresh: func(t testing.TB, w *scopeWorld) string {
				u := core.NewRecord(testkit.MustCollection(t, w.App, "users"))
				u.SetEmail(fmt.Sprintf("gone-%d@example.com", time.Now().UnixNano()))
				u.SetPassword("password123")
				if err := testkit.Save(w.App, nil, u); err != nil {
					t.Fatal(err)
				}
				return u.Id
			}},
		{collection: "audit_log", list: []int{0, 0, 0, 0, 0, allRecords, allRecords, 0, allRecords}, view: "404 404 404 404 404 200 200 404 200",
			// written by the server only: superusers included
			create: noAPI, createBody: `{"action":"create","collection":"x","record_id":"y"}`,
			update: noAPI, updateBody: `{"collection":"%s"}`, del: noAPI},
	}
	w.Refs["plan:rita"] = planOf(t, w, "rita", "approved")

	for _, row := range rows {
		base := "/api/collections/" + row.collection + "/records"
		total, err := app.CountRecords(row.collection)
		if err != nil {
			t.Fatal(err)
		}
		target := w.target[row.collection]
		t.Run(row.collection, func(t *testing.T) {
			for i, as := range scopeRoles {
				name := as
				if name == "" {
					name = "guest"
				}
				want := row.list[i]
				if want == allRecords {
					want = int(total)
				}
				res := c.Do(as, "GET", base+"?perPage=500", nil)
				if got := res.JSON()["totalItems"]; res.Status != 200 || got != float64(want) {
					t.Errorf("%s list: status %d, %v items, want %d: %s", name, res.Status, got, want, res.Body)
				}
				if target != "" {
					expectStatus(t, c, name+" view", as, "GET", base+"/"+target, nil, statusCell(row.view, i))
				}
			}
		})
	}
	// Writes run after every read: they change what there is to count.
	for _, row := range rows {
		base := "/api/collections/" + row.collection + "/records"
		target := w.target[row.collection]
		t.Run(row.collection+"/write", func(t *testing.T) {
			for i, as := range scopeRoles {
				name := as
				if name == "" {
					name = "guest"
				}
				if row.create != "" {
					expectStatus(t, c, name+" create", as, "POST", base, fillBody(row.createBody, name, i), statusCell(row.create, i))
				}
				if row.update != "" && target != "" {
					expectStatus(t, c, name+" update", as, "PATCH", base+"/"+target, fillBody(row.updateBody, name, i), statusCell(row.update, i))
				}
				if row.del != "" {
					id := target
					if row.fresh != nil {
						id = row.fresh(t, w)
					}
					if id != "" {
						expectStatus(t, c, name+" delete", as, "DELETE", base+"/"+id, nil, statusCell(row.del, i))
					}
				}
			}
		})
	}
}

// fillBody makes a body unique to role i, so that every write changes something.
func fillBody(body, name string, i int) string {
	return strings.NewReplacer("%s", name, "%d", strconv.Itoa(i+1)).Replace(body)
}

// statusCell is the expected status of role i in a row of statuses ("-": skip).
func statusCell(statuses string, i int) int {
	s := strings.Fields(statuses)[i]
	if s == "-" {
		return 0
	}
	n, _ := strconv.Atoi(s)
	return n
}

func expectStatus(t *testing.T, c *testkit.Client, what, as, method, url string, body any, want int) {
	t.Helper()
	if want == 0 {
		return
	}
	if res := c.Do(as, method, url, body); res.Status != want {
		t.Errorf("%s %s: status %d, want %d: %s", what, url, res.Status, want, res.Body)
	}
}

func planOf(t testing.TB, w *scopeWorld, rep, status string) string {
	t.Helper()
	p, err := w.App.FindFirstRecordByFilter("plans", "owner = {:o} && status = {:s}", dbx.Params{"o": w.Users[rep].Id, "s": status})
	if err != nil {
		t.Fatal(err)
	}
	return p.Id
}

// Expansions and filters that reach through relations never show a record
// the caller could not list directly.
func TestScopeThroughRelations(t *testing.T) {
	app := testkit.NewApp(t)
	w := seedScope(t, app)
	c := testkit.NewClient(t, w.Org)
	// rita's approved plan waits for mia, whom rita cannot see.
	p, _ := app.FindRecordById("plans", planOf(t, w, "rita", "approved"))
	p.Set("approver", w.Users["mia"].Id)
	if err := testkit.Save(app, nil, p); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		as, url string
		items   int      // -1: a view, expected 404; -2: a filter refused (403)
		absent  []string // values that must not appear
		present []string // expansions that must work (so absence means something)
	}{
		{"rita", "/api/collections/plans/records?expand=customer,owner,approver", 2, []string{"Bolt", "Crane", `"name":"mia"`, `"approver":{`},
			[]string{`"customer":{`, `"name":"Acme"`, `"name":"rita"`}},
		{"rita", `/api/collections/plans/records?filter=customer.owner="{user:rob}"`, 0, nil, nil},
		{"rita", `/api/collections/plans/records?filter=customer.name="Bolt"||customer.name="Crane"`, 0, nil, nil},
		{"rita", `/api/collections/customers/records?filter=owner.email="rob@example.com"`, -2, nil, nil},
		{"rita", "/api/collections/customers/records?expand=plans_via_customer,expenses_via_customer,owner.team", 1, []string{"Bolt", "Crane"}, nil},
		{"rita", "/api/collections/expenses/records?expand=plan.customer,customer.owner,rep.manager", 1, []string{"Crane", `"name":"ed"`}, nil},
		{"rita", "/api/collections/approvals/records?expand=plan.customer,expense", 1, []string{"Crane"}, nil},
		{"rita", "/api/collections/budgets/records?expand=rep,team.viewers", 4, []string{`"name":"ed"`, `"name":"eve"`, `"name":"max"`, `"name":"mia"`}, nil},
		{"rita", `/api/collections/users/records?filter=team.name="east"`, 0, nil, nil},
		{"eve", `/api/collections/customers/records?filter=team="{team:field}"`, 0, nil, nil},
		{"eve", "/api/collections/customers/records?expand=plans_via_customer.customer,visits_via_customer", 1, []string{"Acme", "Bolt"}, nil},
		{"ed", "/api/collections/customers/records/{customer:rita}?expand=owner", -1, nil, nil},
		{"mia", "/api/collections/customers/records?expand=owner,team.parent&filter=owner.team.manager.name~\"eve\"", -2, nil, nil},
		{"mia", "/api/collections/visits/records?expand=customer.owner", 2, []string{"Crane", `"name":"ed"`}, []string{`"name":"Bolt"`, `"name":"rob"`}},
		{"rob", "/api/collections/approvals/records?expand=plan", 0, nil, nil},
	} {
		res := c.Do(tc.as, "GET", tc.url, nil)
		if tc.items == -2 {
			if res.Status != 403 || res.Code("filter") != "forbidden" {
				t.Errorf("%s %s: status %d, want 403: %s", tc.as, tc.url, res.Status, res.Body)
			}
			continue
		}
		if tc.items < 0 {
			if res.Status != 404 {
				t.Errorf("%s %s: status %d, want 404", tc.as, tc.url, res.Status)
			}
			continue
		}
		if got := res.JSON()["totalItems"]; res.Status != 200 || got != float64(tc.items) {
			t.Errorf("%s %s: status %d, %v items, want %d: %s", tc.as, tc.url, res.Status, got, tc.items, res.Body)
		}
		for _, s := range tc.absent {
			if strings.Contains(string(res.Body), s) {
				t.Errorf("%s %s leaks %q: %s", tc.as, tc.url, s, res.Body)
			}
		}
		for _, s := range tc.present {
			if !strings.Contains(string(res.Body), s) {
				t.Errorf("%s %s lacks %q: %s", tc.as, tc.url, s, res.Body)
			}
		}
	}
	// A filter on a field of a related record the caller cannot see must
	// not disclose it: mia's approval limit is none of rita's business.
	for _, limit := range []int64{0, testkit.Yuan(999), testkit.Yuan(1_000), testkit.Yuan(1_001)} {
		res := c.Do("rita", "GET", fmt.Sprintf("/api/collections/plans/records?filter=approver.approval_limit>=%d", limit), nil)
		if res.Status != 403 || res.Code("filter") != "forbidden" {
			t.Errorf("filter through approver discloses mia's approval limit (>= %d): %s", limit, res.Body)
		}
	}
}

// Reassigning a customer moves it and its open work; history keeps its rep,
// and the old owner loses sight of what moved.
func TestScopeCustomerReassignment(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	acme := o.Customers["rita"].Id
	plans := map[string]string{}
	for _, status := range []string{"draft", "submitted", "approved", "rejected", "closed"} {
		plans[status] = seedPlan(t, app, acme, status).Id
	}
	visits := map[string]string{}
	for _, status := range []string{"scheduled", "done", "missed"} {
		visits[status] = testkit.MustCreate(t, app, nil, "visits", map[string]any{"customer": acme, "status": status, "plan": plans["approved"]}).Id
	}
	expense := seedExpense(t, app, plans["approved"]).Id

	for _, refused := range []struct {
		as, to string
		status int
	}{
		{"rita", "rob", 403}, // a rep cannot give their customer away
		{"mia", "ed", 403},   // ed's team is not mia's
		{"eve", "ed", 404},   // eve cannot see the customer at all
		{"fay", "rob", 403},  // finance reads, does not assign
	} {
		res := c.Do(refused.as, "PATCH", "/api/collections/customers/records/"+acme, `{"owner":"{user:`+refused.to+`}"}`)
		if res.Status != refused.status {
			t.Errorf("%s gives Acme to %s: status %d, want %d: %s", refused.as, refused.to, res.Status, refused.status, res.Body)
		}
	}
	// ed leaves the company: nobody gives him customers any more
	ed := o.Reload(t, o.Users["ed"])
	ed.Set("active", false)
	if err := testkit.Save(app, nil, ed); err != nil {
		t.Fatal(err)
	}
	if res := c.Do("ada", "PATCH", "/api/collections/customers/records/"+acme, `{"owner":"{user:ed}"}`); res.Status != 400 || res.Code("owner") != "inactive_user" {
		t.Errorf("ada gives Acme to deactivated ed: %d %s", res.Status, res.Body)
	}
	ed.Set("active", true) // he is back
	if err := testkit.Save(app, nil, ed); err != nil {
		t.Fatal(err)
	}
	if got := o.Reload(t, o.Customers["rita"]).GetString("owner"); got != o.Users["rita"].Id {
		t.Fatalf("a refused reassignment changed the owner to %s", got)
	}

	if res := c.Do("mia", "PATCH", "/api/collections/customers/records/"+acme, `{"owner":"{user:rob}"}`); res.Status != 200 {
		t.Fatalf("mia reassigns Acme to rob: %d %s", res.Status, res.Body)
	}
	owner := func(collection, id, field string) string {
		r, err := app.FindRecordById(collection, id)
		if err != nil {
			t.Fatal(err)
		}
		return r.GetString(field)
	}
	rita, rob := o.Users["rita"].Id, o.Users["rob"].Id
	for status, id := range plans {
		want := rob
		if status == "rejected" || status == "closed" {
			want = rita
		}
		if got := owner("plans", id, "owner"); got != want {
			t.Errorf("%s plan owner %s, want %s", status, got, want)
		}
	}
	for status, id := range visits {
		want := rita
		if status == "scheduled" {
			want = rob
		}
		if got := owner("visits", id, "rep"); got != want {
			t.Errorf("%s visit rep %s, want %s", status, got, want)
		}
	}
	if got := owner("expenses", expense, "rep"); got != rita {
		t.Errorf("expense rep %s, want rita (history keeps its rep)", got)
	}

	for _, tc := range []struct {
		as, path string
		items    int
	}{
		{"rita", "customers/records", 0},
		{"rita", "plans/records", 2},  // rejected + closed
		{"rita", "visits/records", 2}, // done + missed
		{"rita", "expenses/records", 1},
		{"rob", "customers/records", 2},
		{"rob", "plans/records", 3},
		{"rob", "visits/records", 1},
		{"rob", "expenses/records", 0},
		{"rob", "customers/records?expand=expenses_via_customer,visits_via_customer", 2},
		// rita's expenses at Acme stay hers: not even a filter reveals them
		{"rob", `customers/records?filter=expenses_via_customer.rep="{user:rita}"`, 0},
		{"rob", `customers/records?filter=expenses_via_customer.amount>0`, 0},
	} {
		res := c.Do(tc.as, "GET", "/api/collections/"+tc.path, nil)
		if got := res.JSON()["totalItems"]; got != float64(tc.items) {
			t.Errorf("%s lists %s: %v items, want %d", tc.as, tc.path, got, tc.items)
		}
		if tc.as == "rob" && strings.Contains(string(res.Body), expense) {
			t.Errorf("rob sees rita's historical expense through %s", tc.path)
		}
	}
	if res := c.Do("rita", "GET", "/api/collections/customers/records/"+acme, nil); res.Status != 404 {
		t.Errorf("old owner views the moved customer: %d", res.Status)
	}
	// her leftover draft on the moved plan, dated after the move, commits
	// nothing to rob's plan, and the refusal tells her nothing of it (one
	// dated before the move is hers to submit: TestDraftsBeforeReassignment)
	if res := c.Do("rita", "PATCH", "/api/collections/expenses/records/"+expense, map[string]any{"incurred_on": testkit.Day(1)}); res.Status != 200 {
		t.Fatal(res.Status, string(res.Body))
	}
	res := c.Do("rita", "PATCH", "/api/collections/expenses/records/"+expense, submit)
	if res.Status != 400 || res.Code("plan") != "not_owner" || owner("expenses", expense, "status") != "draft" {
		t.Errorf("old owner submits a draft on the moved plan: %d %s", res.Status, res.Body)
	}
	if committed := reload(t, app, "plans", plans["approved"]).GetInt("committed"); committed != 0 {
		t.Errorf("moved plan committed %d after the refused submit", committed)
	}

	// Across teams (admin): the pending plan now waits for ed's manager.
	if res := c.Do("ada", "PATCH", "/api/collections/customers/records/"+acme, `{"owner":"{user:ed}"}`); res.Status != 200 {
		t.Fatalf("ada reassigns Acme to ed: %d %s", res.Status, res.Body)
	}
	if got := owner("plans", plans["submitted"], "approver"); got != o.Users["eve"].Id {
		t.Errorf("submitted plan approver after the move to east: %s, want eve", got)
	}
	if got := owner("plans", plans["approved"], "team"); got != o.Teams["east"].Id {
		t.Errorf("approved plan team after the move to east: %s", got)
	}
}

// A rep who moves team takes their records along: the old manager stops
// seeing them, the new one starts.
func TestScopeTeamMove(t *testing.T) {
	app := testkit.NewApp(t)
	w := seedScope(t, app)
	c := testkit.NewClient(t, w.Org)
	count := func(as, collection string) float64 {
		n, _ := c.Do(as, "GET", "/api/collections/"+collection+"/records", nil).JSON()["totalItems"].(float64)
		return n
	}
	before := map[string]float64{}
	for _, as := range []string{"mia", "eve"} {
		for _, coll := range []string{"customers", "plans", "visits"} {
			before[as+coll] = count(as, coll)
		}
	}
	robsPlan, err := app.FindFirstRecordByData("plans", "owner", w.Users["rob"].Id)
	if err != nil {
		t.Fatal(err)
	}
	if err := flow.Plan(app, robsPlan, "submitted"); err != nil {
		t.Fatal(err)
	}
	if res := c.Do("rob", "PATCH", "/api/collections/users/records/{user:rob}", `{"team":"{team:east}"}`); res.Status != 403 || res.Code("team") != "forbidden" {
		t.Fatalf("rob moves himself: %d %s", res.Status, res.Body)
	}
	if res := c.Do("ada", "PATCH", "/api/collections/users/records/{user:rob}", `{"team":"{team:east}"}`); res.Status != 200 {
		t.Fatalf("ada moves rob to east: %d %s", res.Status, res.Body)
	}
	// rob had one customer, one draft plan and one visit.
	for _, coll := range []string{"customers", "plans", "visits"} {
		if got := count("mia", coll); got != before["mia"+coll]-1 {
			t.Errorf("mia %s after the move: %v, want %v", coll, got, before["mia"+coll]-1)
		}
		if got := count("eve", coll); got != before["eve"+coll]+1 {
			t.Errorf("eve %s after the move: %v, want %v", coll, got, before["eve"+coll]+1)
		}
	}
	if res := c.Do("mia", "GET", "/api/collections/customers/records/{customer:rob}", nil); res.Status != 404 {
		t.Errorf("mia still views rob's customer: %d", res.Status)
	}
	if got := w.Reload(t, robsPlan).GetString("approver"); got != w.Users["eve"].Id {
		t.Errorf("rob's pending plan waits for %s, want eve (his new manager)", got)
	}
	if res := c.Do("eve", "GET", "/api/collections/customers/records/{customer:rob}", nil); res.Status != 200 || !strings.Contains(string(res.Body), w.Teams["east"].Id) {
		t.Errorf("eve views rob's customer: %d %s", res.Status, res.Body)
	}
}

// A new manager who leaves a pending submission's first approver as it was
// leaves the submission alone: no new version for the phones that hold it.
func TestRechainKeepsUnchangedSubmissions(t *testing.T) {
	app := testkit.NewApp(t)
	w := seedScope(t, app)
	c := testkit.NewClient(t, w.Org)
	plan, err := app.FindFirstRecordByData("plans", "owner", w.Users["rob"].Id)
	if err != nil {
		t.Fatal(err)
	}
	if err := flow.Plan(app, plan, "submitted"); err != nil {
		t.Fatal(err)
	}
	before := w.Reload(t, plan)
	if got := before.GetString("approver"); got != w.Users["mia"].Id {
		t.Fatalf("rob's plan waits for %s, want mia (his team's manager)", got)
	}
	// rob's manager was his team's; naming mia explicitly changes his
	// chain's definition, not its first approver
	if res := c.Do("ada", "PATCH", "/api/collections/users/records/{user:rob}", `{"manager":"{user:mia}"}`); res.Status != 200 {
		t.Fatalf("ada names rob's manager: %d %s", res.Status, res.Body)
	}
	after := w.Reload(t, plan)
	if after.GetInt("version") != before.GetInt("version") || after.GetString("approver") != w.Users["mia"].Id {
		t.Errorf("rob's pending plan: version %d → %d, approver %s; want it untouched",
			before.GetInt("version"), after.GetInt("version"), after.GetString("approver"))
	}
	// a manager who does change the first approver still takes over
	if res := c.Do("ada", "PATCH", "/api/collections/users/records/{user:rob}", `{"manager":"{user:max}"}`); res.Status != 200 {
		t.Fatalf("ada makes max rob's manager: %d %s", res.Status, res.Body)
	}
	if got := w.Reload(t, plan).GetString("approver"); got != w.Users["max"].Id {
		t.Errorf("rob's pending plan waits for %s, want max (his new manager)", got)
	}
}

// Viewers follow the team tree three levels down: a director sees the leaf
// team, and changing a manager or a parent re-derives every team below.
func TestScopeHierarchy(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	north := testkit.MustCreate(t, app, nil, "teams", map[string]any{"name": "north", "parent": o.Teams["field"].Id})
	viewers := func(team *core.Record) []string {
		var names []string
		for _, id := range o.Reload(t, team).GetStringSlice("viewers") {
			u, _ := app.FindRecordById("users", id)
			names = append(names, u.GetString("name"))
		}
		return names
	}
	expect := func(step string, team *core.Record, want ...string) {
		t.Helper()
		if got := viewers(team); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: %s viewers %v, want %v", step, team.GetString("name"), got, want)
		}
	}
	expect("seed", north, "mia", "max", "dana")
	if res := c.Do("dana", "GET", "/api/collections/customers/records/{customer:rita}", nil); res.Status != 200 {
		t.Errorf("director views a leaf team's customer: %d", res.Status)
	}

	if res := c.Do("ada", "PATCH", "/api/collections/teams/records/{team:sales}", `{"manager":"{user:eve}"}`); res.Status != 200 {
		t.Fatalf("new sales manager: %d %s", res.Status, res.Body)
	}
	expect("sales manager max → eve", o.Teams["field"], "mia", "eve", "dana")
	expect("sales manager max → eve", north, "mia", "eve", "dana")
	for as, want := range map[string]int{"max": 404, "eve": 200} {
		if res := c.Do(as, "GET", "/api/collections/customers/records/{customer:rita}", nil); res.Status != want {
			t.Errorf("%s views rita's customer after the manager change: %d, want %d", as, res.Status, want)
		}
	}

	if res := c.Do("ada", "PATCH", "/api/collections/teams/records/{team:field}", `{"parent":"{team:east}"}`); res.Status != 200 {
		t.Fatalf("field moves under east: %d %s", res.Status, res.Body)
	}
	expect("field under east", o.Teams["field"], "mia", "eve", "dana")
	expect("field under east", north, "mia", "eve", "dana")
	if got := o.Reload(t, north).GetStringSlice("ancestors"); len(got) != 4 || got[2] != o.Teams["east"].Id {
		t.Errorf("north ancestors %v, want north, field, east, hq", got)
	}

	if res := c.Do("ada", "PATCH", "/api/collections/teams/records/{team:hq}", `{"parent":"`+north.Id+`"}`); res.Status != 400 || res.Code("parent") != "invalid_parent" {
		t.Errorf("hq under its own grandchild: %d %s", res.Status, res.Body)
	}
}

// Realtime subscriptions deliver a change only to those who may view it.
func TestScopeRealtime(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	testkit.NewClient(t, o) // the router binds the realtime broadcasts
	inbox := map[string]chan string{}
	for _, name := range []string{"rita", "rob", "ed", "mia", "eve", "dana", "fay"} {
		client := subscriptions.NewDefaultClient()
		client.Set(apis.RealtimeClientAuthKey, o.Users[name])
		client.Subscribe("customers", "plans")
		// never unregistered: PocketBase may still be sending to it from a
		// broadcast goroutine, and Discard closing the channel under that
		// send is a race (seen under -race); the app goes away with the test
		app.SubscriptionsBroker().Register(client)
		ids := make(chan string, 100)
		go func() {
			for msg := range client.Channel() {
				var data struct{ Record struct{ Id string } }
				_ = json.Unmarshal(msg.Data, &data)
				ids <- data.Record.Id
			}
		}()
		inbox[name] = ids
	}

	touch := func(owner string) string {
		c := o.Reload(t, o.Customers[owner])
		c.Set("industry", "touched")
		if err := testkit.Save(app, o.Users[owner], c); err != nil {
			t.Fatal(err)
		}
		return c.Id
	}
	acme, bolt, crane := touch("rita"), touch("rob"), touch("ed")
	plan := seedPlan(t, app, acme, "draft").Id
	want := map[string][]string{
		"rita": {acme, plan}, "rob": {bolt}, "ed": {crane},
		"mia": {acme, bolt, plan}, "eve": {crane},
		"dana": {acme, bolt, crane, plan}, "fay": {acme, bolt, crane, plan},
	}
	expectDeliveries(t, inbox, want)

	// Deactivation signs the user out of their open connection too.
	rob := o.Reload(t, o.Users["rob"])
	rob.Set("active", false)
	if err := testkit.Save(app, o.Users["ada"], rob); err != nil {
		t.Fatal(err)
	}
	bolt = touch("rob")
	expectDeliveries(t, inbox, map[string][]string{"rob": nil, "mia": {bolt}})
}

// expectDeliveries checks that each subscriber received exactly the
// changes of the ids listed for them.
func expectDeliveries(t *testing.T, inbox map[string]chan string, want map[string][]string) {
	t.Helper()
	for name, ids := range want {
		got := map[string]bool{}
		deadline := time.After(10 * time.Second)
	collect:
		for {
			select {
			case id := <-inbox[name]:
				got[id] = true
			case <-deadline:
				break collect
			case <-time.After(300 * time.Millisecond): // quiet: everything sent has arrived
				if len(got) >= len(ids) {
					break collect
				}
			}
		}
		for _, id := range ids {
			if !got[id] {
				t.Errorf("%s missed the change of %s", name, id)
			}
			delete(got, id)
		}
		for id := range got {
			t.Errorf("%s received the change of %s, which they may not see", name, id)
		}
	}
}
