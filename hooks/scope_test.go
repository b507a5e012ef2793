package hooks_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/testkit"
)

// roles of the scope matrix, in column order: the owning rep, another rep of
// the same team, the team's manager, another team's manager, the director
// above both, finance, admin, a guest and a superuser.
var roles = []string{"rita", "rob", "mia", "eve", "dana", "fay", "ada", "", "superuser"}

// scopeWorld is the standard org plus one record of every business
// collection per rep, seeded as the server.
type scopeWorld struct {
	*testkit.Org
	target map[string]string // collection → the record of rita's the matrix views and updates
}

func today() string { return time.Now().In(shanghai).Format("2006-01-02") }

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func seedScope(t testing.TB, app core.App) *scopeWorld {
	o := testkit.NewOrg(t, app)
	w := &scopeWorld{Org: o, target: map[string]string{}}
	u := o.Users
	for _, rep := range []string{"rita", "rob", "ed"} {
		customer := o.Customers[rep].Id
		draft := seedPlan(t, app, customer, "draft")
		visit := testkit.MustCreate(t, app, nil, "visits", map[string]any{"customer": customer, "due_date": today()})
		if rep == "rob" {
			continue
		}
		approved := seedPlan(t, app, customer, "approved")
		expense := seedExpense(t, app, approved.Id)
		approval := testkit.MustCreate(t, app, nil, "approvals", map[string]any{"plan": approved.Id, "decision": "approve"})
		if rep == "rita" {
			w.target = map[string]string{"customers": customer, "plans": draft.Id, "visits": visit.Id,
				"expenses": expense.Id, "approvals": approval.Id}
		}
	}
	budget := func(scope, team, rep string) *core.Record {
		return testkit.MustCreate(t, app, nil, "budgets", map[string]any{"name": scope + team + rep, "scope": scope, "team": team, "rep": rep,
			"period": "year", "period_start": time.Now().In(shanghai).Format("2006") + "-01-01", "amount": testkit.Yuan(50_000), "on_exceed": "warn"})
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

func seedPlan(t testing.TB, app core.App, customer, status string) *core.Record {
	start := time.Now().In(shanghai).AddDate(0, 0, -30)
	return testkit.MustCreate(t, app, nil, "plans", map[string]any{"customer": customer, "title": status + " plan",
		"methods": []string{"visit", "meal"}, "period_start": start.Format("2006-01-02"), "period_end": start.AddDate(0, 3, 0).Format("2006-01-02"),
		"budget": testkit.Yuan(500), "status": status})
}

func seedExpense(t testing.TB, app core.App, plan string) *core.Record {
	return testkit.MustCreate(t, app, nil, "expenses", map[string]any{"plan": plan, "category": "meal",
		"amount": testkit.Yuan(80), "incurred_on": today(), "description": "lunch"})
}

// all: every record of the collection (finance, admin, superuser lists).
const all = -1

// scopeRow is one collection of the matrix. Statuses are given per role
// in the order of roles; "-" leaves a cell to the tests of the rule that
// decides it.
type scopeRow struct {
	collection string
	list       []int // visible records per role (all = every record)
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
	adminWrites  = "404 404 404 404 404 404 200 404 200"
	adminDeletes = "404 404 404 404 404 404 204 404 204"
	staffWrites  = "404 404 404 404 404 200 200 404 200"
	nobody       = "403 403 403 403 403 403 403 403 -"
)

func TestScopeMatrix(t *testing.T) {
	app := testkit.NewApp(t)
	w := seedScope(t, app)
	c := testkit.NewClient(t, w.Org)
	year := time.Now().In(shanghai).Format("2006")
	planBody := `{"customer":"{customer:rita}","title":"New","period_start":"` + year + `-01-01","period_end":"` + year + `-12-31","budget":100}`

	rows := []scopeRow{
		{collection: "customers", list: []int{1, 1, 2, 1, 3, all, all, 0, all}, view: ritasViewers,
			create: "200 200 200 200 200 403 200 400 400", createBody: `{"name":"New Co"}`,
			update: "200 404 200 404 200 403 200 404 200", updateBody: `{"industry":"Retail %s"}`,
			del: adminDeletes, fresh: func(t testing.TB, w *scopeWorld) string {
				return testkit.MustCreate(t, w.App, w.Users["rita"], "customers", map[string]any{"name": "Gone"}).Id
			}},
		{collection: "plans", list: []int{2, 1, 3, 2, 5, all, all, 0, all}, view: ritasViewers,
			create: "200 400 400 400 400 400 200 400 200", createBody: planBody,
			update: ownerWrites, updateBody: `{"measures":"call %s every month"}`,
			del: ownerDeletes, fresh: func(t testing.TB, w *scopeWorld) string {
				return seedPlan(t, w.App, w.Customers["rita"].Id, "draft").Id
			}},
		{collection: "visits", list: []int{1, 1, 2, 1, 3, all, all, 0, all}, view: ritasViewers,
			create: "200 400 400 400 400 400 200 400 200", createBody: `{"customer":"{customer:rita}","due_date":"` + today() + `"}`,
			update: ownerWrites, updateBody: `{"notes":"%s brings the brochure"}`,
			del: ownerDeletes, fresh: func(t testing.TB, w *scopeWorld) string {
				return testkit.MustCreate(t, w.App, nil, "visits", map[string]any{"customer": w.Customers["rita"].Id}).Id
			}},
		{collection: "expenses", list: []int{1, 0, 1, 1, 2, all, all, 0, all}, view: ritasViewers,
			create:     "200 400 400 400 400 400 200 400 200",
			createBody: `{"plan":"{plan:rita}","category":"meal","amount":100,"incurred_on":"` + today() + `"}`,
			update:     ownerWrites, updateBody: `{"description":"dinner with %s"}`,
			del: ownerDeletes, fresh: func(t testing.TB, w *scopeWorld) string {
				return seedExpense(t, w.App, w.Refs["plan:rita"]).Id
			}},
		{collection: "approvals", list: []int{1, 0, 1, 1, 2, all, all, 0, all}, view: ritasViewers,
			update: nobody, updateBody: `{"note":"%s changed their mind"}`, del: nobody},
		{collection: "budgets", list: []int{4, 3, 4, 3, 6, all, all, 0, all}, view: ritasViewers,
			create:     "400 400 400 400 400 200 200 400 200",
			createBody: `{"name":"Q","scope":"org","period":"year","period_start":"` + year + `-01-01","amount":100,"on_exceed":"warn"}`,
			update:     staffWrites, updateBody: `{"name":"budget %s"}`,
			del: "404 404 404 404 404 204 204 404 204", fresh: func(t testing.TB, w *scopeWorld) string {
				return testkit.MustCreate(t, w.App, nil, "budgets", map[string]any{"name": "gone", "scope": "rep", "rep": w.Users["rita"].Id,
					"period": "year", "period_start": year + "-01-01", "amount": 100}).Id
			}},
		{collection: "tier_policies", list: []int{4, 4, 4, 4, 4, 4, 4, 0, 4}, view: everyone,
			// every tier already has its policy: even an admin's new one is a duplicate
			create: "400 400 400 400 400 400 400 400 400", createBody: `{"tier":"A","min_annual_contract":1}`,
			update: adminWrites, updateBody: `{"label":"Basic care %s"}`,
			del: "404 404 404 404 404 404 - 404 -"},
		{collection: "org_settings", list: []int{1, 1, 1, 1, 1, 1, 1, 0, 1}, view: everyone,
			create: nobody, createBody: `{"currency":"CNY","timezone":"UTC"}`,
			update: adminWrites, updateBody: `{"approval_digest_hours":%d}`,
			del: nobody},
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
			del: adminDeletes, fresh: func(t testing.TB, w *scopeWorld) string {
				u := core.NewRecord(mustCollection(t, w.App, "users"))
				u.SetEmail(fmt.Sprintf("gone-%d@example.com", time.Now().UnixNano()))
				u.SetPassword("password123")
				if err := w.App.Save(u); err != nil {
					t.Fatal(err)
				}
				return u.Id
			}},
		{collection: "audit_log", list: []int{0, 0, 0, 0, 0, all, all, 0, all}, view: "404 404 404 404 404 200 200 404 200",
			create: nobody, createBody: `{"action":"create","collection":"x","record_id":"y"}`,
			update: nobody, updateBody: `{"collection":"%s"}`, del: nobody},
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
			for i, as := range roles {
				name := as
				if name == "" {
					name = "guest"
				}
				want := row.list[i]
				if want == all {
					want = int(total)
				}
				res := c.Do(as, "GET", base+"?perPage=500", nil)
				if got := res.JSON()["totalItems"]; res.Status != 200 || got != float64(want) {
					t.Errorf("%s list: status %d, %v items, want %d: %s", name, res.Status, got, want, res.Body)
				}
				if target != "" {
					check(t, c, name+" view", as, "GET", base+"/"+target, nil, cell(row.view, i))
				}
			}
		})
	}
	// Writes run after every read: they change what there is to count.
	for _, row := range rows {
		base := "/api/collections/" + row.collection + "/records"
		target := w.target[row.collection]
		t.Run(row.collection+"/write", func(t *testing.T) {
			for i, as := range roles {
				name := as
				if name == "" {
					name = "guest"
				}
				if row.create != "" {
					check(t, c, name+" create", as, "POST", base, fill(row.createBody, name, i), cell(row.create, i))
				}
				if row.update != "" && target != "" {
					check(t, c, name+" update", as, "PATCH", base+"/"+target, fill(row.updateBody, name, i), cell(row.update, i))
				}
				if row.del != "" {
					id := target
					if row.fresh != nil {
						id = row.fresh(t, w)
					}
					if id != "" {
						check(t, c, name+" delete", as, "DELETE", base+"/"+id, nil, cell(row.del, i))
					}
				}
			}
		})
	}
}

// fill makes a body unique to role i, so that every write changes something.
func fill(body, name string, i int) string {
	return strings.NewReplacer("%s", name, "%d", strconv.Itoa(i+1)).Replace(body)
}

// cell is the expected status of role i in a row of statuses ("-": skip).
func cell(statuses string, i int) int {
	s := strings.Fields(statuses)[i]
	if s == "-" {
		return 0
	}
	n, _ := strconv.Atoi(s)
	return n
}

func check(t *testing.T, c *testkit.Client, what, as, method, url string, body any, want int) {
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

func mustCollection(t testing.TB, app core.App, name string) *core.Collection {
	t.Helper()
	c, err := app.FindCollectionByNameOrId(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
