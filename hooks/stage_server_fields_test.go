package hooks_test

import (
	"encoding/json"
	"strings"
	"testing"

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
