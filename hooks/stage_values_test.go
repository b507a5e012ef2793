package hooks_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"mime/multipart"
	"strconv"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/flow"
	"rapport/internal/org"
	"rapport/internal/testkit"
)

// with is body with field set to value.
func with(body map[string]any, field string, value any) map[string]any {
	out := maps.Clone(body)
	out[field] = value
	return out
}

// Every day field refuses a date that does not exist, on create and on
// update, naming the value; a date that exists is stored.
func TestImpossibleDates(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	customer, plan := o.Customers["rita"].Id, mkPlan(t, o, "rita", "approved", 1000).Id
	planBody := map[string]any{"customer": customer, "title": "Q1", "period_start": "2026-01-01", "period_end": "2026-03-31", "budget": 100}

	for _, tc := range []struct {
		collection, as, field string
		body                  map[string]any // a valid create
	}{
		{"customers", "rita", "customer_since", map[string]any{"name": "Dove"}},
		{"plans", "rita", "period_start", planBody},
		{"plans", "rita", "period_end", planBody},
		{"visits", "rita", "due_date", map[string]any{"customer": customer}},
		{"visits", "rita", "window_start", map[string]any{"customer": customer}},
		{"visits", "rita", "window_end", map[string]any{"customer": customer}},
		{"expenses", "rita", "incurred_on", map[string]any{"plan": plan, "category": "gift", "amount": 500, "incurred_on": testkit.Day(0)}},
		{"budgets", "fay", "period_start", map[string]any{"name": "B", "scope": "org", "period": "month", "period_start": "2026-11-01", "amount": 100}},
	} {
		name := tc.collection + "." + tc.field
		url := "/api/collections/" + tc.collection + "/records"
		created := c.Do(tc.as, "POST", url, tc.body)
		if created.Status != 200 {
			t.Fatalf("%s: valid create: %d %s", name, created.Status, created.Body)
		}
		record := url + "/" + created.JSON()["id"].(string)
		for _, bad := range []string{"2026-02-30", "2026-13-01", "2025-02-29", "2026-00-10"} {
			for method, u := range map[string]string{"POST": url, "PATCH": record} {
				res := c.Do(tc.as, method, u, with(tc.body, tc.field, bad))
				if res.Status != 400 || res.Code(tc.field) != "validation_date_invalid" || !strings.Contains(string(res.Body), bad) {
					t.Errorf("%s: %s %s: %d %s", name, method, bad, res.Status, res.Body)
				}
			}
		}
		// The shape stays PocketBase's own check.
		if res := c.Do(tc.as, "PATCH", record, map[string]any{tc.field: "2026-2-3"}); res.Status != 400 || res.Code(tc.field) != "validation_invalid_format" {
			t.Errorf("%s: 2026-2-3: %d %s", name, res.Status, res.Body)
		}
	}

	if res := c.Do("rita", "POST", "/api/collections/customers/records", map[string]any{"name": "Leap", "customer_since": "2024-02-29"}); res.Status != 200 {
		t.Errorf("2024-02-29: %d %s", res.Status, res.Body)
	}
	// Server writes are checked too (imports, the demo), server fields included.
	_, err := flow.Create(app, nil, "customers", map[string]any{"name": "Import", "owner": o.Users["rita"].Id, "next_visit_due": "2026-04-31"})
	if err == nil || !strings.Contains(err.Error(), "2026-04-31") {
		t.Errorf("server create with next_visit_due 2026-04-31: %v", err)
	}
}

// A value is judged when a save writes it: an impossible date stored before
// the check existed does not block other edits, or a job saving its record.
func TestStoredImpossibleDate(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	id := o.Customers["rita"].Id
	if _, err := app.DB().Update("customers", dbx.Params{"customer_since": "2025-02-30"}, dbx.HashExp{"id": id}).Execute(); err != nil {
		t.Fatal(err)
	}
	url := "/api/collections/customers/records/" + id
	if res := c.Do("rita", "PATCH", url, map[string]any{"name": "Acme 2", "customer_since": "2025-02-30"}); res.Status != 200 {
		t.Errorf("edit beside a stored impossible date: %d %s", res.Status, res.Body)
	}
	if res := c.Do("rita", "PATCH", url, map[string]any{"customer_since": "2025-02-31"}); res.Code("customer_since") != "validation_date_invalid" {
		t.Errorf("another impossible date: %d %s", res.Status, res.Body)
	}
	if res := c.Do("rita", "PATCH", url, map[string]any{"customer_since": "2025-02-28"}); res.Status != 200 {
		t.Errorf("fixing it: %d %s", res.Status, res.Body)
	}
}

// The org time zone must be an IANA zone: any other name would have every
// day counted in UTC.
func TestTimezone(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	settings, err := app.FindFirstRecordByFilter("org_settings", "")
	if err != nil {
		t.Fatal(err)
	}
	url := "/api/collections/org_settings/records/" + settings.Id
	for _, as := range []string{"ada", "superuser"} {
		for _, zone := range []string{"Mars/Olympus", "Local", "../zoneinfo/UTC"} {
			res := c.Do(as, "PATCH", url, map[string]any{"timezone": zone})
			if res.Status != 400 || res.Code("timezone") != "invalid_timezone" || !strings.Contains(string(res.Body), zone) {
				t.Errorf("%s sets %q: %d %s", as, zone, res.Status, res.Body)
			}
		}
	}
	if s, _ := org.LoadSettings(app); s.Location.String() != org.DefaultTimezone {
		t.Fatalf("refused edits changed the zone to %s", s.Location)
	}
	if res := c.Do("ada", "PATCH", url, map[string]any{"timezone": "America/Argentina/Buenos_Aires"}); res.Status != 200 {
		t.Fatalf("a real zone: %d %s", res.Status, res.Body)
	}
	if s, _ := org.LoadSettings(app); s.Location.String() != "America/Argentina/Buenos_Aires" {
		t.Errorf("zone %s after the edit", s.Location)
	}
}

// customers.contacts is a list of contacts whose known fields are text and
// whose birthday is a date; the message names the entry and the key.
func TestContacts(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	url := "/api/collections/customers/records"
	record := url + "/" + o.Customers["rita"].Id

	for _, tc := range []struct {
		contacts any
		code     string
		says     string
	}{
		{"notjson{", "invalid_contacts", "not text"},
		{map[string]any{"a": 1}, "invalid_contacts", "not an object"},
		{map[string]any{}, "invalid_contacts", "not an object"},
		{42, "invalid_contacts", "not a number"},
		{[]any{"Li Wei"}, "invalid_contacts", "Contact 1 must be an object"},
		{[]any{map[string]any{"name": 1, "phone": map[string]any{"x": 1}}}, "invalid_contacts", "Contact 1: name must be text, not a number"},
		{[]any{map[string]any{"name": "Li"}, map[string]any{"name": "Wu", "phone": map[string]any{"x": 1}}}, "invalid_contacts", "Contact 2: phone must be text, not an object"},
		{[]any{map[string]any{"name": "Li", "email": []any{"a@b.cn"}}}, "invalid_contacts", "Contact 1: email must be text, not a list"},
		{[]any{map[string]any{"name": "Li", "title": true}}, "invalid_contacts", "Contact 1: title must be text"},
		{[]any{map[string]any{"name": "Li", "birthday": "1990-02-30"}}, "validation_date_invalid", `Contact 1: birthday \"1990-02-30\"`},
		{[]any{map[string]any{"name": "Li", "birthday": "1990-2-3"}}, "validation_date_invalid", `Contact 1: birthday \"1990-2-3\"`},
		{[]any{map[string]any{"name": "Li", "birthday": 19900203}}, "invalid_contacts", "Contact 1: birthday must be text"},
	} {
		for method, u := range map[string]string{"POST": url, "PATCH": record} {
			res := c.Do("rita", method, u, map[string]any{"name": "Dove", "contacts": tc.contacts})
			if res.Status != 400 || res.Code("contacts") != tc.code || !strings.Contains(string(res.Body), tc.says) {
				t.Errorf("%s contacts %v: %d %s", method, tc.contacts, res.Status, res.Body)
			}
		}
	}

	for _, ok := range []any{
		nil, "", []any{},
		[]any{map[string]any{"name": "Li Wei", "title": "buyer", "phone": "+86 21 5555 0100", "email": "li@example.cn", "birthday": "1988-02-29"}},
		[]any{map[string]any{"name": "Wu", "birthday": "", "phone": nil, "wechat": "wu88"}}, // other keys are kept
	} {
		res := c.Do("rita", "PATCH", record, map[string]any{"contacts": ok})
		if res.Status != 200 {
			t.Errorf("contacts %v: %d %s", ok, res.Status, res.Body)
		}
	}
	if got := reload(t, app, "customers", o.Customers["rita"].Id).GetString("contacts"); !strings.Contains(got, `"wechat":"wu88"`) {
		t.Errorf("stored contacts %s", got)
	}
}

// form is a multipart body: fields in order (a key may repeat), then files.
type form struct {
	fields [][2]string
	files  map[string]testkit.File
}

func (f form) send(c *testkit.Client, as, method, url string) testkit.Response {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, kv := range f.fields {
		_ = w.WriteField(kv[0], kv[1])
	}
	for k, file := range f.files {
		part, _ := w.CreateFormFile(k, file.Name)
		_, _ = part.Write(file.Content)
	}
	_ = w.Close()
	return c.Send(as, method, url, w.FormDataContentType(), &buf)
}

// sdkForm is body as the JS SDK (and so the dashboard) sends it when it
// carries a file: objects, lists and null as @jsonPayload, every other
// value as form text.
func sdkForm(body map[string]any, files map[string]testkit.File) form {
	f := form{files: files}
	for k, v := range body {
		switch x := v.(type) {
		case nil, map[string]any, []any:
			raw, _ := json.Marshal(map[string]any{k: x})
			f.fields = append(f.fields, [2]string{"@jsonPayload", string(raw)})
		case float64:
			f.fields = append(f.fields, [2]string{k, strconv.FormatFloat(x, 'f', -1, 64)})
		default:
			f.fields = append(f.fields, [2]string{k, fmt.Sprint(x)})
		}
	}
	return f
}

// batchResponse is the response of the batch request that failed, as if
// it had been sent alone (the batch API answers 400 around it).
func batchResponse(res testkit.Response) testkit.Response {
	data, _ := res.JSON()["data"].(map[string]any)
	requests, _ := data["requests"].(map[string]any)
	for _, r := range requests {
		inner, _ := r.(map[string]any)["response"].(map[string]any)
		status, _ := inner["status"].(float64)
		raw, _ := json.Marshal(inner)
		return testkit.Response{Status: int(status), Body: raw}
	}
	return res
}

// typeWorld is the standard org with one record of each kind rita can edit.
type typeWorld struct {
	*testkit.Org
	c                               *testkit.Client
	settings, policyB               *core.Record
	acme, draftPlan, expense, visit *core.Record
	rita, rob                       *core.Record
}

func newTypeWorld(t *testing.T) *typeWorld {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	w := &typeWorld{Org: o, c: testkit.NewClient(t, o), rita: o.Users["rita"], rob: o.Users["rob"], acme: o.Customers["rita"]}
	var err error
	if w.settings, err = app.FindFirstRecordByFilter("org_settings", ""); err != nil {
		t.Fatal(err)
	}
	if w.policyB, err = app.FindFirstRecordByFilter("tier_policies", "tier = 'B'"); err != nil {
		t.Fatal(err)
	}
	w.draftPlan = mkPlan(t, o, "rita", "draft", 1000)
	w.expense = mkExpense(t, o, mkPlan(t, o, "rita", "approved", 1000), 50)
	w.visit = testkit.MustCreate(t, app, nil, "visits", map[string]any{"customer": w.acme.Id, "due_date": testkit.Day(0)})
	return w
}

func url(r *core.Record) string {
	return "/api/collections/" + r.Collection().Name + "/records/" + r.Id
}

// unchanged fails unless r is stored as before (the same updated stamp).
func unchanged(t *testing.T, app core.App, r *core.Record, what string) {
	t.Helper()
	if now := reload(t, app, r.Collection().Name, r.Id); now.GetString("updated") != r.GetString("updated") || now.GetString("version") != r.GetString("version") {
		t.Errorf("%s: the record was written", what)
	}
}

// QA's examples: a value PocketBase would cast into something else is
// refused with invalid_type, naming the field, what it got and what it
// takes, and nothing is written: over REST as JSON and as a form, and
// through the batch API.
func TestWrongTypesAreRefused(t *testing.T) {
	w := newTypeWorld(t)
	app, c := w.App, w.c
	for _, tc := range []struct {
		as     string
		record *core.Record
		key    string // as sent, maybe with a modifier
		value  any    // JSON
		text   string // as a form field ("" to skip the form)
		code   string
		says   string
	}{
		{"ada", w.rita, "active", "maybe", "maybe", "invalid_type", `\"active\" takes true or false (a form may send \"true\", \"false\", \"1\" or \"0\"); got the text \"maybe\"`},
		{"ada", w.rita, "active", 1.0, "2", "invalid_type", `\"active\" takes true or false`},
		{"ada", w.rita, "active", "", "", "invalid_type", `\"active\" takes true or false`}, // not "cleared" into a deactivation
		{"ada", w.rita, "approval_limit", "fifty", "fifty", "invalid_type", `\"approval_limit\" takes a number (a form may send it as text, \"1500\"); got the text \"fifty\"`},
		{"ada", w.settings, "receipt_required_over", "none", "none", "invalid_type", `\"receipt_required_over\" takes a number`},
		{"rita", w.acme, "annual_contract_amount", "lots", "lots", "invalid_type", `got the text \"lots\"`},
		{"rita", w.acme, "annual_contract_amount", []any{40000000}, "[40000000]", "invalid_type", "got the list [40000000]"},
		{"rita", w.acme, "annual_contract_amount", map[string]any{"yuan": 1}, "", "invalid_type", `got the object {\"yuan\":1}`},
		{"rita", w.expense, "amount", true, "true", "invalid_type", `\"amount\" takes a number (a form may send it as text, \"1500\"); got true`},
		{"rita", w.expense, "amount+", "x", "x", "invalid_type", `\"amount+\" takes a number`},
		{"rita", w.expense, "amount", json.Number("9007199254740993"), "9007199254740993", "validation_max_number_constraint", `\"amount\" takes a whole number no larger than 9007199254740991 (a larger one cannot be stored exactly); got 900719925474099`},
		{"rita", w.acme, "location", "here", "here", "invalid_type", `\"location\" takes a point {\"lon\": 121.47, \"lat\": 31.23} with numbers for lon and lat (a form may send it as JSON text); got the text \"here\"`},
		{"rita", w.acme, "location", map[string]any{"lon": "121.4", "lat": 31.2}, `{"lon":"121.4","lat":31.2}`, "invalid_type", `\"location\" takes a point`},
		{"rita", w.acme, "location", map[string]any{"lat": 31.2}, `{"lat":31.2}`, "invalid_type", `\"location\" takes a point`},
		{"rita", w.acme, "name", 42.0, "", "invalid_type", `\"name\" takes text; got the number 42`},
		{"rita", w.acme, "tier_locked", "yes", "yes", "invalid_type", `\"tier_locked\" takes true or false`},
		{"rita", w.draftPlan, "methods", []any{"visit", 3}, "", "invalid_type", `\"methods\" takes text (one of visit, call, gift, meal, event, trip, other) or a list of them`},
		{"rita", w.draftPlan, "methods+", map[string]any{"a": "visit"}, "", "invalid_type", `\"methods+\" takes text`},
		{"rita", w.draftPlan, "budget", "1,000", "1,000", "invalid_type", `\"budget\" takes a number`},
		{"rita", w.expense, "category", []any{"meal"}, "", "invalid_type", `\"category\" takes text (one of meal, gift, travel, transport, event, entertainment, other); got the list`},
		{"rita", w.visit, "started_at", "yesterday", "yesterday", "invalid_type", `\"started_at\" takes a date as text`},
		{"rita", w.visit, "started_at", 1700000000.0, "", "invalid_type", `\"started_at\" takes a date`},
		{"rita", w.visit, "satisfaction", "NaN", "NaN", "invalid_type", `\"satisfaction\" takes a number`},
		{"ada", w.rob, "team", []any{"x"}, "", "invalid_type", `\"team\" takes text (a record id); got the list`},
	} {
		what := fmt.Sprintf("%s sets %s.%s to %v", tc.as, tc.record.Collection().Name, tc.key, tc.value)
		check := func(how string, res testkit.Response, says string) {
			t.Helper()
			field := strings.TrimRight(strings.TrimLeft(tc.key, "+"), "+-")
			if res.Status != 400 || res.Code(field) != tc.code || !strings.Contains(string(res.Body), says) {
				t.Errorf("%s (%s): %d %s", what, how, res.Status, res.Body)
			}
			unchanged(t, app, tc.record, what+" ("+how+")")
		}
		check("JSON", c.Do(tc.as, "PATCH", url(tc.record), map[string]any{tc.key: tc.value}), tc.says)
		if tc.text != "" {
			check("form", form{fields: [][2]string{{tc.key, tc.text}}}.send(c, tc.as, "PATCH", url(tc.record)), `\"`+tc.key+`\" takes`)
		}
		check("batch", batchResponse(c.Do(tc.as, "POST", "/api/batch", map[string]any{"requests": []any{
			map[string]any{"method": "PATCH", "url": url(tc.record), "body": map[string]any{tc.key: tc.value}}}})), tc.says)
	}

	// A form field sent twice is a list: no number.
	res := form{fields: [][2]string{{"annual_contract_amount", "1"}, {"annual_contract_amount", "2"}}}.send(c, "rita", "PATCH", url(w.acme))
	if res.Status != 400 || res.Code("annual_contract_amount") != "invalid_type" {
		t.Errorf("a repeated form field: %d %s", res.Status, res.Body)
	}
	// Every wrong field is named; the good ones are not written either.
	res = c.Do("rita", "PATCH", url(w.acme), map[string]any{"name": "Acme 2", "annual_contract_amount": "lots", "location": "here"})
	if res.Status != 400 || res.Code("annual_contract_amount") != "invalid_type" || res.Code("location") != "invalid_type" || res.Code("name") != "" {
		t.Errorf("two wrong fields: %d %s", res.Status, res.Body)
	}
	unchanged(t, app, w.acme, "two wrong fields")

	// Creates: nothing is written, over REST or batch (with a good create first).
	before := map[string]int64{}
	for _, coll := range []string{"customers", "expenses", "visits"} {
		before[coll], _ = app.CountRecords(coll)
	}
	for _, tc := range []struct {
		collection string
		body       map[string]any
		field      string
	}{
		{"customers", map[string]any{"name": "Dove", "annual_contract_amount": "lots"}, "annual_contract_amount"},
		{"customers", map[string]any{"name": "Dove", "location": "here"}, "location"},
		{"expenses", map[string]any{"plan": w.expense.GetString("plan"), "category": "gift", "amount": true, "incurred_on": testkit.Day(0)}, "amount"},
		{"visits", map[string]any{"customer": w.acme.Id, "satisfaction": "5 stars"}, "satisfaction"},
	} {
		u := "/api/collections/" + tc.collection + "/records"
		if res := c.Do("rita", "POST", u, tc.body); res.Status != 400 || res.Code(tc.field) != "invalid_type" {
			t.Errorf("create %s %v: %d %s", tc.collection, tc.body, res.Status, res.Body)
		}
		res := c.Do("rita", "POST", "/api/batch", map[string]any{"requests": []any{
			map[string]any{"method": "POST", "url": "/api/collections/visits/records", "body": map[string]any{"customer": w.acme.Id}},
			map[string]any{"method": "POST", "url": u, "body": tc.body}}})
		if res.Status != 400 || !strings.Contains(string(res.Body), `"invalid_type"`) {
			t.Errorf("batch create %s %v: %d %s", tc.collection, tc.body, res.Status, res.Body)
		}
	}
	for coll, n := range before {
		if after, _ := app.CountRecords(coll); after != n {
			t.Errorf("%s: %d records after refused creates, want %d", coll, after, n)
		}
	}

	// The user QA deactivated by "maybe" is still active and signed in.
	if !reload(t, app, "users", w.rita.Id).GetBool("active") {
		t.Fatal("rita was deactivated")
	}
	if res := c.Do("rita", "GET", url(w.acme), nil); res.Status != 200 {
		t.Errorf("rita's session after the refused edits: %d", res.Status)
	}
	if got := reload(t, app, "customers", w.acme.Id).GetString("tier"); got != "B" {
		t.Errorf("acme's tier %s after refused edits, want B", got)
	}
}

// What clients send stays accepted: the JS SDK's JSON, form text ("1500",
// "true"), modifiers, and the dashboard's full-record saves (every field as
// the records API returns it), as JSON and, with a file, as the SDK's form.
func TestValidInputIsAccepted(t *testing.T) {
	w := newTypeWorld(t)
	app, c := w.App, w.c
	ok := func(what string, res testkit.Response) map[string]any {
		t.Helper()
		if res.Status != 200 {
			t.Errorf("%s: %d %s", what, res.Status, res.Body)
		}
		return res.JSON()
	}
	xurl := url(w.expense)
	if r := ok("form amount 1500", form{fields: [][2]string{{"amount", "1500"}}}.send(c, "rita", "PATCH", xurl)); r["amount"] != 1500.0 {
		t.Errorf("amount %v, want 1500", r["amount"])
	}
	if r := ok("JSON amount+ 100", c.Do("rita", "PATCH", xurl, map[string]any{"amount+": 100})); r["amount"] != 1600.0 {
		t.Errorf("amount %v, want 1600", r["amount"])
	}
	if r := ok("form amount- 600", form{fields: [][2]string{{"amount-", "600"}}}.send(c, "rita", "PATCH", xurl)); r["amount"] != 1000.0 {
		t.Errorf("amount %v, want 1000", r["amount"])
	}
	if r := ok("JSON amount as text", c.Do("rita", "PATCH", xurl, map[string]any{"amount": "2500", "description": ""})); r["amount"] != 2500.0 {
		t.Errorf("amount %v, want 2500", r["amount"])
	}
	if r := ok("the largest exact amount", c.Do("rita", "PATCH", xurl, `{"amount": 9007199254740991}`)); r["amount"] != 9007199254740991.0 {
		t.Errorf("amount %v, want 9007199254740991", r["amount"])
	}
	ok("form active true", form{fields: [][2]string{{"active", "true"}, {"approval_limit", "50000"}}}.send(c, "ada", "PATCH", url(w.rob)))
	ok("form active 1", form{fields: [][2]string{{"active", "1"}}}.send(c, "ada", "PATCH", url(w.rob)))
	ok("form emailVisibility 0", form{fields: [][2]string{{"emailVisibility", "0"}}}.send(c, "rob", "PATCH", url(w.rob))) // the owner's alone
	if u := reload(t, app, "users", w.rob.Id); !u.GetBool("active") || u.GetInt("approval_limit") != 50000 || u.GetBool("emailVisibility") {
		t.Errorf("rob after form edits: active %v, limit %d, emailVisibility %v", u.GetBool("active"), u.GetInt("approval_limit"), u.GetBool("emailVisibility"))
	}
	if r := ok("form location", form{fields: [][2]string{{"location", `{"lon":121.47,"lat":31.23}`}, {"name", "12345"}, {"code", "true"}}}.send(c, "rita", "PATCH", url(w.acme))); r["name"] != "12345" || r["code"] != "true" {
		t.Errorf("form text that looks like a number or a bool: %v", r)
	}
	if p := reload(t, app, "customers", w.acme.Id).GetGeoPoint("location"); p.Lon != 121.47 || p.Lat != 31.23 {
		t.Errorf("location %+v", p)
	}
	ok("JSON location", c.Do("rita", "PATCH", url(w.acme), map[string]any{"location": map[string]any{"lon": 121.5, "lat": 31}, "tier_locked": false}))
	ok("form clears", form{fields: [][2]string{{"location", ""}, {"tier_locked", "false"}}}.send(c, "rita", "PATCH", url(w.acme)))
	ok("JSON null clears", c.Do("rita", "PATCH", url(w.acme), map[string]any{"location": nil, "address": nil}))
	ok("multi select", c.Do("rita", "PATCH", url(w.draftPlan), map[string]any{"methods": []any{"visit", "call"}, "planned_visits": "3"}))
	ok("select modifiers", form{fields: [][2]string{{"methods+", "gift"}, {"methods-", "call"}, {"+methods", "meal"}}}.send(c, "rita", "PATCH", url(w.draftPlan)))
	if got := reload(t, app, "plans", w.draftPlan.Id).GetStringSlice("methods"); strings.Join(got, ",") != "meal,visit,gift" {
		t.Errorf("methods %v", got)
	}
	ok("form list of methods", form{fields: [][2]string{{"methods", "visit"}, {"methods", "trip"}}}.send(c, "rita", "PATCH", url(w.draftPlan)))
	ok("dates", c.Do("rita", "PATCH", url(w.visit), map[string]any{"started_at": "2026-11-20 09:00:00.000Z", "ended_at": "2026-11-20T10:00:00Z"}))

	// The dashboard saves every field of the record as the API returned it.
	budget := w.Budget(t, "org", "warn", 10_000)
	team := w.Teams["field"]
	for _, r := range []*core.Record{w.acme, w.draftPlan, w.expense, w.visit, w.rob, w.settings, w.policyB, budget, team} {
		record := c.Do("superuser", "GET", url(r), nil).JSON()
		delete(record, "expand")
		ok("dashboard saves "+r.Collection().Name, c.Do("superuser", "PATCH", url(r), record))
		if r.Collection().Name != "users" {
			own := c.Do("ada", "GET", url(r), nil).JSON()
			ok("ada saves "+r.Collection().Name+" as read", c.Do("ada", "PATCH", url(r), own))
		}
	}
	// ... and with a file, as the SDK's form: numbers and bools as text.
	record := c.Do("superuser", "GET", xurl, nil).JSON()
	delete(record, "receipt")
	r := ok("dashboard saves an expense with a receipt", sdkForm(record, map[string]testkit.File{"receipt": {Name: "r.pdf", Content: []byte("%PDF-1.4\n% r\n")}}).send(c, "superuser", "PATCH", xurl))
	if r["receipt"] == "" || r["amount"] != record["amount"] {
		t.Errorf("after the dashboard's form save: %v", r)
	}
	record = c.Do("superuser", "GET", url(w.acme), nil).JSON()
	record["location"] = map[string]any{"lon": 120.0, "lat": 30.5}
	record["contacts"] = []any{map[string]any{"name": "Li"}}
	ok("dashboard saves a customer as a form", sdkForm(record, nil).send(c, "superuser", "PATCH", url(w.acme)))
	if p := reload(t, app, "customers", w.acme.Id).GetGeoPoint("location"); p.Lon != 120 || p.Lat != 30.5 {
		t.Errorf("location %+v after the form save", p)
	}
}

// Every whole-number field of Rapport's collections stops at 2^53-1, the
// largest one kept exactly; a server write beyond it is refused too.
func TestWholeNumbersStayExact(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	for _, name := range []string{"users", "teams", "customers", "plans", "visits", "expenses", "approvals", "budgets", "tier_policies", "org_settings", "audit_log"} {
		for _, f := range testkit.MustCollection(t, app, name).Fields {
			n, ok := f.(*core.NumberField)
			if !ok || !n.OnlyInt {
				continue
			}
			if n.Max == nil || *n.Max > org.MaxWhole || n.Min == nil || *n.Min < -org.MaxWhole {
				t.Errorf("%s.%s: min %v, max %v", name, n.Name, n.Min, n.Max)
			}
		}
	}
	_, err := flow.Create(app, nil, "customers", map[string]any{"name": "Huge", "owner": o.Users["rita"].Id, "annual_contract_amount": float64(1 << 53)})
	if err == nil || !strings.Contains(err.Error(), "annual_contract_amount") {
		t.Errorf("server create of 2^53: %v", err)
	}
}

// category_limits, care_entitlements and followup_offsets are checked in
// the shape internal/org reads them, on every path (admin, superuser, form).
func TestJSONSettings(t *testing.T) {
	w := newTypeWorld(t)
	app, c := w.App, w.c
	for _, tc := range []struct {
		record *core.Record
		field  string
		value  any
		code   string
		says   string
	}{
		{w.policyB, "category_limits", map[string]any{"meal": "1000"}, "invalid_category_limits", `Category limits: \"meal\" must be a whole amount in minor units, 0 or more (100000 is 1,000.00; 0 is no limit); got the text \"1000\".`},
		{w.policyB, "category_limits", map[string]any{"meal": 1000.7}, "invalid_category_limits", `\"meal\" must be a whole amount in minor units, 0 or more (100000 is 1,000.00; 0 is no limit); got the number 1000.7`},
		{w.policyB, "category_limits", map[string]any{"gift": 100, "meal": -5}, "invalid_category_limits", `\"meal\" must be a whole amount`},
		{w.policyB, "category_limits", map[string]any{"meal": nil}, "invalid_category_limits", `got null`},
		{w.policyB, "category_limits", map[string]any{"meal": json.Number("9007199254740993")}, "invalid_category_limits", `got the number 900719925474099`},
		{w.policyB, "category_limits", map[string]any{"food": 100}, "invalid_category_limits", `Category limits: \"food\" is not an expense category; the categories are meal, gift, travel, transport, event, entertainment, other.`},
		{w.policyB, "category_limits", "garbage", "invalid_category_limits", `Category limits must be an object {category: largest single amount in minor units}, such as {\"meal\": 100000}; got the text \"garbage\".`},
		{w.policyB, "category_limits", []any{100}, "invalid_category_limits", `got the list [100]`},
		{w.policyB, "category_limits", 100, "invalid_category_limits", `got the number 100`},
		{w.policyB, "care_entitlements", "garbage", "invalid_care_entitlements", `Care entitlements must be a list of names, such as [\"holiday_gift\", \"birthday_card\"]; got the text \"garbage\".`},
		{w.policyB, "care_entitlements", []any{"holiday_gift", 3}, "invalid_care_entitlements", `Care entitlement 2 must be a name (text, not empty); got the number 3.`},
		{w.policyB, "care_entitlements", []any{""}, "invalid_care_entitlements", `Care entitlement 1 must be a name`},
		{w.policyB, "care_entitlements", map[string]any{"a": "b"}, "invalid_care_entitlements", `got the object`},
		{w.settings, "followup_offsets", "garbage", "invalid_followup_offsets", `Follow-up offsets must be a list of follow-ups, such as [{\"label\": \"1 week\", \"from_days\": 7, \"to_days\": 7}`},
		{w.settings, "followup_offsets", []any{map[string]any{"from_days": 7, "to_days": 7}, 5}, "invalid_followup_offsets", `Follow-up offset 2 must be an object {\"label\", \"from_days\", \"to_days\"} or {\"label\", \"every_days\"}; got the number 5.`},
		{w.settings, "followup_offsets", []any{map[string]any{"from_days": "7", "to_days": 7}}, "invalid_followup_offsets", `Follow-up offset 1: \"from_days\" must be a whole number of days, 0 or more; got the text \"7\".`},
		{w.settings, "followup_offsets", []any{map[string]any{"from_days": 7}}, "invalid_followup_offsets", `Follow-up offset 1: \"to_days\" must be a whole number of days, 0 or more; got null.`},
		{w.settings, "followup_offsets", []any{map[string]any{"from_days": -1, "to_days": 3}}, "invalid_followup_offsets", `\"from_days\" must be a whole number`},
		{w.settings, "followup_offsets", []any{map[string]any{"from_days": 30, "to_days": 20}}, "invalid_followup_offsets", `Follow-up offset 1 must be a window whose \"from_days\" is no later than its \"to_days\"; got the object {\"from_days\":30,\"to_days\":20}.`},
		{w.settings, "followup_offsets", []any{map[string]any{"label": "yearly", "every_days": 0}}, "invalid_followup_offsets", `Follow-up offset 1: \"every_days\" must be a whole number of days, 1 or more; got the number 0.`},
		{w.settings, "followup_offsets", []any{map[string]any{"from": 7, "to": 7}}, "invalid_followup_offsets", `Follow-up offset 1: \"from_days\" must be a whole number of days, 0 or more; got null.`},
		{w.settings, "holidays", []any{map[string]any{"name": "春节", "date": "2027-02-05"}, map[string]any{"name": "国庆", "date": "October 1"}}, "invalid_holidays", `Holiday 2: \"date\" must be a day as YYYY-MM-DD; got the text \"October 1\".`},
		{w.settings, "holidays", []any{map[string]any{"date": "2027-02-05"}}, "invalid_holidays", `Holiday 1: \"name\" must be a name (text, not empty); got null.`},
	} {
		what := fmt.Sprintf("%s = %v", tc.field, tc.value)
		for _, as := range []string{"ada", "superuser"} {
			res := c.Do(as, "PATCH", url(tc.record), map[string]any{tc.field: tc.value})
			if res.Status != 400 || res.Code(tc.field) != tc.code || !strings.Contains(string(res.Body), tc.says) {
				t.Errorf("%s as %s: %d %s", what, as, res.Status, res.Body)
			}
		}
		raw, _ := json.Marshal(tc.value)
		if res := (form{fields: [][2]string{{tc.field, string(raw)}}}).send(c, "ada", "PATCH", url(tc.record)); res.Status != 400 || res.Code(tc.field) != tc.code {
			t.Errorf("%s as a form: %d %s", what, res.Status, res.Body)
		}
		unchanged(t, app, tc.record, what)
	}
	for _, tc := range []struct {
		record *core.Record
		field  string
		value  any
	}{
		{w.policyB, "category_limits", map[string]any{"meal": 100000, "gift": 0, "event": 1e6}},
		{w.policyB, "category_limits", map[string]any{}},
		{w.policyB, "category_limits", nil},
		{w.policyB, "care_entitlements", []any{"holiday_gift", "birthday_card"}},
		{w.policyB, "care_entitlements", []any{}},
		{w.policyB, "care_entitlements", nil},
		{w.settings, "followup_offsets", []any{map[string]any{"label": "1 week", "from_days": 7, "to_days": 7}, map[string]any{"from_days": 120, "to_days": 180, "lead_days": 30, "note": "kept"}, map[string]any{"every_days": 365}}},
		{w.settings, "holidays", []any{map[string]any{"name": "春节", "date": "2027-02-05", "unofficial": true}}},
		{w.settings, "followup_offsets", nil},
	} {
		if res := c.Do("ada", "PATCH", url(tc.record), map[string]any{tc.field: tc.value}); res.Status != 200 {
			t.Errorf("%s = %v: %d %s", tc.field, tc.value, res.Status, res.Body)
		}
	}
	if res := (form{fields: [][2]string{{"category_limits", `{"meal": 50000}`}, {"care_entitlements", ""}}}).send(c, "ada", "PATCH", url(w.policyB)); res.Status != 200 {
		t.Errorf("limits as a form: %d %s", res.Status, res.Body)
	}
	tiers, _ := org.LoadTiers(app)
	if b, _ := org.Find(tiers, "B"); b.CategoryLimits["meal"] != 50000 || len(b.CategoryLimits) != 1 {
		t.Errorf("tier B limits %v", b.CategoryLimits)
	}
}

// A limit stored before the check (or in SQL) that cannot be read costs the
// tier that limit only: its other limits still refuse an expense.
func TestStoredLimitsAreReadPerCategory(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	o.SetOrg(t, map[string]any{"receipt_required_over": testkit.Yuan(100_000)})
	if _, err := app.DB().Update("tier_policies", dbx.Params{"category_limits": `{"meal":"1000","gift":50000}`}, dbx.HashExp{"tier": "B"}).Execute(); err != nil {
		t.Fatal(err)
	}
	d, _ := app.FindFirstRecordByFilter("tier_policies", "tier = 'D'")
	d.Set("label", "Basic.") // any policy write drops the cached tiers
	if err := testkit.Save(app, nil, d); err != nil {
		t.Fatal(err)
	}
	plan := mkPlan(t, o, "rita", "approved", 10_000)
	gift := mkExpense(t, o, plan, 600, map[string]any{"category": "gift"})
	res := c.Do("rita", "PATCH", "/api/collections/expenses/records/"+gift.Id, map[string]any{"status": "submitted"})
	if res.Status != 400 || res.Code("amount") != "category_limit_exceeded" {
		t.Errorf("a 600-yuan gift at tier B (limit 500 yuan, beside an unreadable meal limit): %d %s", res.Status, res.Body)
	}
	meal := mkExpense(t, o, plan, 600, map[string]any{"category": "meal"})
	if res := c.Do("rita", "PATCH", "/api/collections/expenses/records/"+meal.Id, map[string]any{"status": "submitted"}); res.Status != 200 {
		t.Errorf("a meal, whose stored limit cannot be read: %d %s", res.Status, res.Body)
	}
	// The stored value does not block other edits of the policy; the next
	// write of the limits must be valid.
	b, _ := app.FindFirstRecordByFilter("tier_policies", "tier = 'B'")
	if res := c.Do("ada", "PATCH", url(b), map[string]any{"label": "Key accounts"}); res.Status != 200 {
		t.Errorf("label edit beside stored bad limits: %d %s", res.Status, res.Body)
	}
}
