package testkit

import (
	"maps"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/org"
)

// Org is the standard test organisation:
//
//	hq (director dana, limit 100,000 yuan)        finance: fay   admin: ada
//	├── sales (manager max, limit 10,000 yuan)
//	│   └── field (manager mia, limit 1,000 yuan) reps: rita, rob
//	└── east (manager eve, limit 1,000 yuan)      rep: ed
//
// Each rep owns one active customer (rita: "Acme", rob: "Bolt", ed: "Crane").
type Org struct {
	App       core.App
	Teams     map[string]*core.Record
	Users     map[string]*core.Record
	Customers map[string]*core.Record // by owner name
	Refs      map[string]string       // ids a test stored for {placeholders}
}

// In is the same organisation in app, which holds a copy of o.App's data
// (the server restarted on it, a restored backup).
func (o *Org) In(app core.App) *Org {
	in := *o
	in.App = app
	return &in
}

// Yuan converts whole yuan to minor units.
func Yuan(y int64) int64 { return y * 100 }

var orgZone, _ = time.LoadLocation(org.DefaultTimezone)

// Day is today + offset days in the org time zone, as a date field holds
// it: fixtures dated from it stay valid whatever day the tests run.
func Day(offset int) string {
	return time.Now().In(orgZone).AddDate(0, 0, offset).Format(time.DateOnly)
}

// NewOrg seeds the standard organisation into app.
func NewOrg(t testing.TB, app core.App) *Org {
	t.Helper()
	o := &Org{App: app, Teams: map[string]*core.Record{}, Users: map[string]*core.Record{}, Customers: map[string]*core.Record{}, Refs: map[string]string{}}

	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	user := func(name, role string, limit int64) *core.Record {
		u := core.NewRecord(users)
		u.Load(map[string]any{"name": name, "role": role, "approval_limit": limit, "active": true})
		u.SetEmail(name + "@example.com")
		u.SetPassword("password123")
		u.SetVerified(true)
		if err := Save(app, nil, u); err != nil {
			t.Fatal(err)
		}
		o.Users[name] = u
		return u
	}
	team := func(name, parent string, manager *core.Record) {
		data := map[string]any{"name": name, "manager": manager.Id}
		if parent != "" {
			data["parent"] = o.Teams[parent].Id
		}
		o.Teams[name] = MustCreate(t, app, nil, "teams", data)
	}

	team("hq", "", user("dana", "director", Yuan(100_000)))
	team("sales", "hq", user("max", "manager", Yuan(10_000)))
	team("field", "sales", user("mia", "manager", Yuan(1_000)))
	team("east", "hq", user("eve", "manager", Yuan(1_000)))
	user("fay", "finance", Yuan(1_000_000))
	user("ada", "admin", 0)
	user("rita", "rep", 0)
	user("rob", "rep", 0)
	user("ed", "rep", 0)

	for name, teamName := range map[string]string{
		"dana": "hq", "fay": "hq", "ada": "hq", "max": "sales", "mia": "field",
		"rita": "field", "rob": "field", "eve": "east", "ed": "east",
	} {
		o.MoveUser(t, name, teamName)
	}

	for owner, customer := range map[string]string{"rita": "Acme", "rob": "Bolt", "ed": "Crane"} {
		o.Customers[owner] = MustCreate(t, app, o.Users[owner], "customers", map[string]any{
			"name": customer, "annual_contract_amount": Yuan(400_000), "customer_since": "2025-01-15",
		})
	}
	return o
}

// MoveUser puts user name in team teamName (as the server).
func (o *Org) MoveUser(t testing.TB, name, teamName string) {
	t.Helper()
	u := o.Users[name]
	u.Set("team", o.Teams[teamName].Id)
	if err := Save(o.App, nil, u); err != nil {
		t.Fatal(err)
	}
}

// Token is an auth token for the user called name.
func (o *Org) Token(t testing.TB, name string) string {
	return Token(t, o.Users[name])
}

// Reload fetches the latest state of r.
func (o *Org) Reload(t testing.TB, r *core.Record) *core.Record {
	t.Helper()
	fresh, err := o.App.FindRecordById(r.Collection().Name, r.Id)
	if err != nil {
		t.Fatal(err)
	}
	return fresh
}

// Budget seeds a budget (as the server) for this year in the org time zone,
// of amount yuan; extra sets more fields, such as the team or rep of its
// scope.
func (o *Org) Budget(t testing.TB, scope, onExceed string, amountYuan int64, extra ...map[string]any) *core.Record {
	t.Helper()
	data := map[string]any{"name": scope + " " + onExceed, "scope": scope, "period": "year",
		"period_start": Day(0)[:4] + "-01-01", "amount": Yuan(amountYuan), "on_exceed": onExceed}
	for _, e := range extra {
		maps.Copy(data, e)
	}
	return MustCreate(t, o.App, nil, "budgets", data)
}

// SetOrg changes org_settings as the server (an admin's dashboard edit).
func (o *Org) SetOrg(t testing.TB, values map[string]any) {
	t.Helper()
	s, err := o.App.FindFirstRecordByFilter("org_settings", "")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range values {
		s.Set(k, v)
	}
	if err := Save(o.App, nil, s); err != nil {
		t.Fatal(err)
	}
}
