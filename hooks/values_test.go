package hooks_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"

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
