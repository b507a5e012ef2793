package hooks_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/testkit"
)

// Server fields: the same value is ignored, another one is 400 read_only,
// on create and on update, for every business collection.
func TestServerFieldsReadOnly(t *testing.T) {
	app := testkit.NewApp(t)
	w := seedScope(t, app)
	c := testkit.NewClient(t, w.Org)
	w.Refs["plan:rita"] = planOf(t, w, "rita", "approved")
	w.Refs["submitted"] = seedPlan(t, app, w.Customers["rita"].Id, "submitted").Id

	for _, tc := range []struct {
		collection, as, body string
		field, other         string // a server field and a value the server would not set
		target               string // update only: an existing record
	}{
		{collection: "customers", as: "rita", body: `{"name":"Dove"}`, field: "team", other: `"{team:east}"`},
		{collection: "customers", as: "rita", body: `{"name":"Dove"}`, field: "satisfaction_avg", other: `4.5`},
		{collection: "plans", as: "rita", body: `{"customer":"{customer:rita}","title":"Q1","period_start":"2026-01-01","period_end":"2026-03-31","budget":100}`, field: "owner", other: `"{user:rob}"`},
		{collection: "plans", as: "rita", body: `{"customer":"{customer:rita}","title":"Q1","period_start":"2026-01-01","period_end":"2026-03-31","budget":100}`, field: "approved_budget", other: `100`},
		{collection: "visits", as: "rita", body: `{"customer":"{customer:rita}"}`, field: "rep", other: `"{user:rob}"`},
		{collection: "visits", as: "rita", body: `{"customer":"{customer:rita}"}`, field: "checkin_result", other: `"verified"`},
		{collection: "expenses", as: "rita", body: `{"plan":"{plan:rita}","category":"gift","amount":500,"incurred_on":"` + testkit.Day(0) + `"}`, field: "customer", other: `"{customer:rob}"`},
		{collection: "expenses", as: "rita", body: `{"plan":"{plan:rita}","category":"gift","amount":500,"incurred_on":"` + testkit.Day(0) + `"}`, field: "flags", other: `["checked"]`},
		{collection: "approvals", as: "mia", body: `{"plan":"{submitted}","decision":"approve"}`, field: "approver", other: `"{user:dana}"`},
		{collection: "budgets", as: "fay", body: `{"name":"B","scope":"rep","rep":"{user:rob}","period":"month","period_start":"2026-11-01","amount":100}`, field: "committed", other: `5`},
		{collection: "teams", as: "ada", body: `{"name":"West","parent":"{team:hq}"}`, field: "viewers", other: `["{user:rita}"]`},
		{collection: "tier_policies", as: "ada", target: w.target["tier_policies"], field: "version", other: `7`},
		{collection: "org_settings", as: "ada", target: w.target["org_settings"], field: "version", other: `7`},
	} {
		name := tc.collection + "." + tc.field
		base := "/api/collections/" + tc.collection + "/records"
		var record map[string]any
		if tc.target == "" {
			before, _ := app.CountRecords(tc.collection)
			for _, f := range []string{tc.field, "version"} {
				other := tc.other
				if f == "version" {
					other = "3"
				}
				res := c.Do(tc.as, "POST", base, withField(tc.body, f, other))
				if res.Status != 400 || res.Code(f) != "read_only" {
					t.Errorf("%s: create with %s=%s: %d %s", name, f, other, res.Status, res.Body)
				}
			}
			if after, _ := app.CountRecords(tc.collection); after != before {
				t.Errorf("%s: a refused create wrote a record", name)
			}
			res := c.Do(tc.as, "POST", base, tc.body)
			if res.Status != 200 {
				t.Fatalf("%s: create: %d %s", name, res.Status, res.Body)
			}
			record = res.JSON()
			// Sending back what the server derived is fine, on create too.
			if tc.collection != "approvals" { // one decision per submission
				again := c.Do(tc.as, "POST", base, withField(tc.body, tc.field, string(mustJSON(t, record[tc.field]))))
				if again.Status != 200 || again.JSON()["version"] != float64(1) {
					t.Errorf("%s: create echoing the derived %s: %d %s", name, tc.field, again.Status, again.Body)
				}
			}
		} else {
			record = c.Do(tc.as, "GET", base+"/"+tc.target, nil).JSON()
		}
		if record["version"] != float64(1) {
			t.Errorf("%s: version %v on create, want 1", name, record["version"])
		}
		url := base + "/" + record["id"].(string)
		if tc.collection == "approvals" {
			// decisions are never updated, whatever the field
			if res := c.Do(tc.as, "PATCH", url, echoBody(record)); res.Status != 400 || res.Code("decision") != "locked" {
				t.Errorf("approval update: %d %s", res.Status, res.Body)
			}
			continue
		}

		// A client echoing the whole record back changes nothing it may not.
		res := c.Do(tc.as, "PATCH", url, echoBody(record))
		if res.Status != 200 || res.JSON()["version"] != float64(2) {
			t.Fatalf("%s: echo update: %d %s", name, res.Status, res.Body)
		}
		for _, f := range []string{tc.field, "version"} {
			other := tc.other
			if f == "version" {
				other = "9"
			}
			res = c.Do(tc.as, "PATCH", url, withField("{}", f, other))
			if res.Status != 400 || res.Code(f) != "read_only" {
				t.Errorf("%s: update %s=%s: %d %s", name, f, other, res.Status, res.Body)
			}
		}
		if got := c.Do(tc.as, "GET", url, nil).JSON()["version"]; got != float64(2) {
			t.Errorf("%s: refused updates moved version to %v", name, got)
		}
		// the whole record as loaded before the echo (a dashboard form left
		// open) is told it is stale, not that it forges server fields
		res = c.Do(tc.as, "PATCH", url, echoBody(record))
		if res.Status != 400 || res.Code("version") != "read_only" || !strings.Contains(string(res.Body), "changed since you loaded it (your copy is version 1, it is now at version 2)") {
			t.Errorf("%s: a stale whole-record update: %d %s", name, res.Status, res.Body)
		}
	}
}

// withField returns the JSON object body with field set to the raw JSON value.
func withField(body, field, value string) string {
	if body == "{}" {
		return `{"` + field + `":` + value + `}`
	}
	return strings.TrimSuffix(body, "}") + `,"` + field + `":` + value + `}`
}

// echoBody is record as a client would send it back, without the files.
func echoBody(record map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range record {
		switch k {
		case "photos", "receipt", "collectionId", "collectionName", "created", "updated", "expand":
			continue
		}
		out[k] = v
	}
	return out
}

func mustJSON(t testing.TB, v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Owner, rep, customer and team are derived; version counts every write,
// the server's own included.
func TestDerivedFields(t *testing.T) {
	app := testkit.NewApp(t)
	w := seedScope(t, app)
	c := testkit.NewClient(t, w.Org)
	rita, field := w.Users["rita"].Id, w.Teams["field"].Id

	// ada acts for rita: the plan is rita's, not ada's.
	res := c.Do("ada", "POST", "/api/collections/plans/records",
		`{"customer":"{customer:rita}","title":"On behalf","period_start":"2026-01-01","period_end":"2026-12-31","budget":100}`)
	if p := res.JSON(); res.Status != 200 || p["owner"] != rita || p["team"] != field {
		t.Errorf("admin-created plan: %d %s", res.Status, res.Body)
	}
	// mia gives a new customer to rita, whose team she manages.
	res = c.Do("mia", "POST", "/api/collections/customers/records", `{"name":"Eagle","owner":"{user:rita}"}`)
	if cu := res.JSON(); res.Status != 200 || cu["owner"] != rita || cu["team"] != field {
		t.Errorf("manager-assigned customer: %d %s", res.Status, res.Body)
	}
	if res := c.Do("rita", "POST", "/api/collections/customers/records", `{"name":"Finch","owner":"{user:rob}"}`); res.Status != 403 || res.Code("owner") != "forbidden" {
		t.Errorf("rep creates a customer for another rep: %d %s", res.Status, res.Body)
	}
	approved := planOf(t, w, "rita", "approved")
	for _, tc := range []struct{ collection, field, body string }{
		{"plans", "customer", `{"customer":"{customer:rita}","title":"Mine","period_start":"2026-01-01","period_end":"2026-12-31","budget":100}`},
		{"visits", "customer", `{"customer":"{customer:rita}"}`},
		{"expenses", "plan", `{"plan":"` + approved + `","category":"meal","amount":100,"incurred_on":"` + testkit.Day(0) + `"}`},
	} {
		res := c.Do("rob", "POST", "/api/collections/"+tc.collection+"/records", tc.body)
		// rob may not see Acme, so the refusal does not name it
		if res.Status != 400 || res.Code(tc.field) != "not_owner" || strings.Contains(string(res.Body), "Acme") {
			t.Errorf("rob creates a %s for rita's customer: %d %s", tc.collection, res.Status, res.Body)
		}
		res = c.Do("rita", "POST", "/api/collections/"+tc.collection+"/records", tc.body)
		owner := "rep"
		if tc.collection == "plans" {
			owner = "owner"
		}
		if r := res.JSON(); res.Status != 200 || r[owner] != rita || r["team"] != field || r["version"] != float64(1) {
			t.Errorf("rita creates a %s: %d %s", tc.collection, res.Status, res.Body)
		}
		if flags, ok := res.JSON()["flags"].([]any); tc.collection == "expenses" && (!ok || len(flags) != 0) {
			t.Errorf("a draft expense's flags: %s, want []", res.Body)
		}
	}

	// The batch API obeys the same rules, and one refusal writes nothing.
	before, _ := app.CountRecords("visits")
	res = c.Do("rob", "POST", "/api/batch", `{"requests":[
		{"method":"POST","url":"/api/collections/visits/records","body":{"customer":"{customer:rob}"}},
		{"method":"POST","url":"/api/collections/visits/records","body":{"customer":"{customer:rita}"}}]}`)
	if after, _ := app.CountRecords("visits"); res.Status != 400 || !strings.Contains(string(res.Body), `"not_owner"`) || after != before {
		t.Errorf("batch with a visit for rita's customer: %d %s (%d → %d visits)", res.Status, res.Body, before, after)
	}

	// A visit is its rep's: managers and finance see it, never mark it.
	visit := testkit.MustCreate(t, app, w.Users["rita"], "visits", map[string]any{"customer": w.Customers["rita"].Id})
	for _, as := range []string{"mia", "dana", "fay"} {
		res := c.Do(as, "PATCH", "/api/collections/visits/records/"+visit.Id, `{"status":"done"}`)
		if res.Status != 403 || res.Code("status") != "forbidden" {
			t.Errorf("%s marks rita's visit done: %d %s", as, res.Status, res.Body)
		}
	}
	if got := w.Reload(t, visit).GetString("status"); got != "scheduled" {
		t.Errorf("visit status %s after refused updates", got)
	}

	// An admin moving a visit to rob's customer moves it to rob.
	res = c.Do("ada", "PATCH", "/api/collections/visits/records/"+visit.Id, `{"customer":"{customer:rob}"}`)
	if v := res.JSON(); res.Status != 200 || v["rep"] != w.Users["rob"].Id {
		t.Errorf("admin moves a visit to rob's customer: %d %s", res.Status, res.Body)
	}
	if res := c.Do("rita", "PATCH", "/api/collections/visits/records/"+visit.Id, `{"notes":"mine?"}`); res.Status != 404 {
		t.Errorf("rita still edits the moved visit: %d", res.Status)
	}

	// version: 1 on create, +1 on every write, cascades included.
	acme := w.Customers["rita"]
	version := func() int { return w.Reload(t, acme).GetInt("version") }
	v0 := version()
	c.Do("rita", "PATCH", "/api/collections/customers/records/"+acme.Id, `{"industry":"Steel"}`)
	if got := version(); got != v0+1 {
		t.Errorf("version after an update: %d, want %d", got, v0+1)
	}
	w.MoveUser(t, "rita", "east") // the server re-derives rita's records' team
	if got, team := version(), w.Reload(t, acme).GetString("team"); got != v0+2 || team != w.Teams["east"].Id {
		t.Errorf("after rita's move: version %d (want %d), team %s", got, v0+2, team)
	}
}

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

// Nobody raises their own privileges; refused writes change nothing.
func TestSelfEscalation(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	for _, tc := range []struct {
		as, who, body, field string
		status               int
	}{
		{"rita", "rita", `{"role":"admin"}`, "role", 403},
		{"rita", "rita", `{"approval_limit":100000000}`, "approval_limit", 403},
		{"rita", "rita", `{"team":"{team:east}"}`, "team", 403},
		{"rita", "rita", `{"manager":"{user:dana}"}`, "manager", 403},
		{"rita", "rita", `{"active":false}`, "active", 403},
		{"mia", "mia", `{"approval_limit":1000000000}`, "approval_limit", 403},
		{"mia", "rita", `{"active":false}`, "active", 403},
		{"mia", "rita", `{"approval_limit":1}`, "approval_limit", 403},
		{"dana", "mia", `{"role":"director"}`, "role", 403},
		{"fay", "rita", `{"active":false}`, "active", 403},
		{"rita", "rob", `{"active":false}`, "", 404}, // rob is not rita's to see
		{"ada", "ada", `{"role":"rep"}`, "role", 403},
		{"ada", "ada", `{"active":false}`, "active", 403},
	} {
		before := o.Reload(t, o.Users[tc.who])
		res := c.Do(tc.as, "PATCH", "/api/collections/users/records/{user:"+tc.who+"}", tc.body)
		if res.Status != tc.status || (tc.field != "" && res.Code(tc.field) != "forbidden") {
			t.Errorf("%s PATCH %s %s: %d %s", tc.as, tc.who, tc.body, res.Status, res.Body)
		}
		after := o.Reload(t, o.Users[tc.who])
		if !bytes.Equal(mustJSON(t, before.FieldsData()), mustJSON(t, after.FieldsData())) {
			t.Errorf("%s PATCH %s %s wrote something", tc.as, tc.who, tc.body)
		}
	}
	// The batch API goes through the same rules.
	res := c.Do("rita", "POST", "/api/batch", `{"requests":[{"method":"PATCH","url":"/api/collections/users/records/{user:rita}","body":{"role":"admin"}}]}`)
	if res.Status != 400 || !strings.Contains(string(res.Body), `"forbidden"`) || o.Reload(t, o.Users["rita"]).GetString("role") != "rep" {
		t.Errorf("batch self-promotion: %d %s", res.Status, res.Body)
	}
	for _, as := range []string{"rita", "ada"} {
		res := c.Do(as, "POST", "/api/collections/_superusers/records", `{"email":"root2@example.com","password":"password123","passwordConfirm":"password123"}`)
		if n, _ := app.CountRecords(core.CollectionNameSuperusers); res.Status != 403 || n != 0 {
			t.Errorf("%s creates a superuser: %d (%d superusers)", as, res.Status, n)
		}
	}
	// What they may do: a rep renames themself, an admin promotes someone else.
	if res := c.Do("rita", "PATCH", "/api/collections/users/records/{user:rita}", `{"name":"Rita M."}`); res.Status != 200 {
		t.Errorf("rep renames themself: %d %s", res.Status, res.Body)
	}
	if res := c.Do("ada", "PATCH", "/api/collections/users/records/{user:rita}", `{"role":"manager","approval_limit":50000}`); res.Status != 200 {
		t.Errorf("admin promotes rita: %d %s", res.Status, res.Body)
	}
}

// Accounts are active unless an admin says otherwise; inactive users cannot
// sign in, and deactivation ends the sessions they already have.
func TestUserActivation(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	res := c.Do("ada", "POST", "/api/collections/users/records",
		`{"email":"nina@example.com","password":"password123","passwordConfirm":"password123","name":"Nina","team":"{team:east}"}`)
	if u := res.JSON(); res.Status != 200 || u["active"] != true || u["role"] != "rep" {
		t.Fatalf("new user: %d %s", res.Status, res.Body)
	}
	id := res.JSON()["id"].(string)
	login := func() testkit.Response {
		return c.Do("", "POST", "/api/collections/users/auth-with-password", `{"identity":"nina@example.com","password":"password123"}`)
	}
	res = login()
	token, _ := res.JSON()["token"].(string)
	if res.Status != 200 || token == "" {
		t.Fatalf("active user signs in: %d %s", res.Status, res.Body)
	}
	// The session lasts 30 days.
	if exp := tokenExpiry(t, token); exp < 29*24*time.Hour || exp > 31*24*time.Hour {
		t.Errorf("token valid for %v, want 30 days", exp)
	}
	me := func() int {
		return c.SendToken(token, "GET", "/api/collections/users/records/"+id, "application/json", nil).Status
	}
	if got := me(); got != 200 {
		t.Fatalf("session works: %d", got)
	}
	if res := c.Do("ada", "PATCH", "/api/collections/users/records/"+id, `{"active":false}`); res.Status != 200 {
		t.Fatalf("deactivate: %d %s", res.Status, res.Body)
	}
	if res := login(); res.Status == 200 {
		t.Errorf("inactive user signs in: %s", res.Body)
	}
	if got := me(); got == 200 {
		t.Errorf("deactivated user's old token still works")
	}
}

func tokenExpiry(t testing.TB, token string) time.Duration {
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct{ Exp int64 }
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return time.Until(time.Unix(claims.Exp, 0))
}

// Sign-in is rate limited per client: the 11th attempt in a minute is 429.
func TestAuthRateLimit(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	users, _ := app.FindCollectionByNameOrId("users")
	if d := users.AuthToken.Duration; d != 30*24*3600 {
		t.Errorf("auth token duration %ds, want 30 days", d)
	}
	if !app.Settings().RateLimits.Enabled {
		t.Fatal("rate limiting is off")
	}
	statuses := []int{}
	for range 11 {
		statuses = append(statuses, c.Do("", "POST", "/api/collections/users/auth-with-password", `{"identity":"rita@example.com","password":"wrong"}`).Status)
	}
	if statuses[0] != 400 || statuses[10] != 429 {
		t.Errorf("sign-in statuses %v: want 400 at first, 429 on the 11th", statuses)
	}
}

// Receipts and photos are protected: only a file token of someone who may
// view the record opens them.
func TestProtectedFiles(t *testing.T) {
	app := testkit.NewApp(t)
	w := seedScope(t, app)
	c := testkit.NewClient(t, w.Org)
	plan := planOf(t, w, "rita", "approved")
	res := c.Upload("rita", "POST", "/api/collections/expenses/records",
		map[string]string{"plan": plan, "category": "meal", "amount": "8800", "incurred_on": testkit.Day(0)},
		map[string]testkit.File{"receipt": {Name: "receipt.png", Content: pngBytes(t)}})
	if res.Status != 200 {
		t.Fatalf("expense with receipt: %d %s", res.Status, res.Body)
	}
	expense := res.JSON()
	res = c.Upload("rita", "POST", "/api/collections/visits/records",
		map[string]string{"customer": w.Customers["rita"].Id},
		map[string]testkit.File{"photos": {Name: "shop.png", Content: pngBytes(t)}})
	if res.Status != 200 {
		t.Fatalf("visit with photo: %d %s", res.Status, res.Body)
	}
	visit := res.JSON()
	files := []string{
		fmt.Sprintf("/api/files/expenses/%s/%s", expense["id"], expense["receipt"]),
		fmt.Sprintf("/api/files/visits/%s/%s", visit["id"], visit["photos"].([]any)[0]),
	}
	fileToken := func(as string) string {
		res := c.Do(as, "POST", "/api/files/token", nil)
		tok, _ := res.JSON()["token"].(string)
		if tok == "" {
			t.Fatalf("%s file token: %d %s", as, res.Status, res.Body)
		}
		return tok
	}
	for _, url := range files {
		if res := c.Do("rita", "GET", url, nil); res.Status != 404 {
			t.Errorf("%s without a file token: %d", url, res.Status)
		}
		for as, want := range map[string]int{"rita": 200, "mia": 200, "dana": 200, "fay": 200, "ed": 404, "rob": 404, "eve": 404} {
			if res := c.Do("", "GET", url+"?token="+fileToken(as), nil); res.Status != want {
				t.Errorf("%s with %s's file token: %d, want %d", url, as, res.Status, want)
			}
		}
		res := c.Send("", "GET", url+"?thumb=100x100&token="+fileToken("rita"), "", nil)
		if img, err := png.Decode(bytes.NewReader(res.Body)); err != nil || img.Bounds().Dx() != 100 {
			t.Errorf("%s thumbnail: %d %v", url, res.Status, err)
		}
	}

	for name, f := range map[string]testkit.File{
		"wrong type": {Name: "receipt.txt", Content: []byte("just text, not a receipt")},
		"oversized":  {Name: "huge.png", Content: append(pngBytes(t), make([]byte, 11<<20)...)},
	} {
		before, _ := app.CountRecords("expenses")
		res := c.Upload("rita", "POST", "/api/collections/expenses/records",
			map[string]string{"plan": plan, "category": "meal", "amount": "100", "incurred_on": testkit.Day(0)},
			map[string]testkit.File{"receipt": f})
		if res.Status != 400 || res.Code("receipt") == "" {
			t.Errorf("%s receipt: %d %s", name, res.Status, res.Body)
		}
		if after, _ := app.CountRecords("expenses"); after != before {
			t.Errorf("%s receipt: an expense was written", name)
		}
	}
	for _, f := range []struct{ collection, field string }{{"expenses", "receipt"}, {"visits", "photos"}} {
		field := testkit.MustCollection(t, app, f.collection).Fields.GetByName(f.field).(*core.FileField)
		if !field.Protected || len(field.Thumbs) == 0 {
			t.Errorf("%s.%s: protected %v, thumbs %v", f.collection, f.field, field.Protected, field.Thumbs)
		}
	}
}

// A receipt uploaded by the write that submits counts: on create, and
// replacing the draft's receipt.
func TestReceiptUploadedWithTheSubmit(t *testing.T) {
	app := testkit.NewApp(t)
	w := seedScope(t, app)
	c := testkit.NewClient(t, w.Org)
	plan := planOf(t, w, "rita", "approved")
	pdf := func(n int) map[string]testkit.File {
		return map[string]testkit.File{"receipt": {Name: "receipt.pdf", Content: fmt.Appendf(nil, "%%PDF-1.4\n%% receipt %d\n", n)}}
	}
	res := c.Upload("rita", "POST", "/api/collections/expenses/records", map[string]string{"plan": plan, "category": "meal",
		"amount": "25000", "incurred_on": testkit.Day(0), "status": "submitted"}, pdf(1))
	if res.Status != 200 || res.JSON()["status"] != "submitted" || res.JSON()["receipt"] == "" {
		t.Fatalf("create + submit with a receipt: %d %s", res.Status, res.Body)
	}
	res = c.Upload("rita", "POST", "/api/collections/expenses/records", map[string]string{"plan": plan, "category": "meal",
		"amount": "25000", "incurred_on": testkit.Day(0)}, pdf(2))
	if res.Status != 200 {
		t.Fatalf("a draft with a receipt: %d %s", res.Status, res.Body)
	}
	res = c.Upload("rita", "PATCH", "/api/collections/expenses/records/"+res.JSON()["id"].(string), map[string]string{"status": "submitted"}, pdf(3))
	if res.Status != 200 || res.JSON()["status"] != "submitted" {
		t.Fatalf("the receipt replaced with the submit: %d %s", res.Status, res.Body)
	}
}

func pngBytes(t testing.TB) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 300, 200))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
