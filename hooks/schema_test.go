package hooks_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/catalog"
	"rapport/internal/org"
	"rapport/internal/testkit"
)

// The collections API (dashboard, PUT /api/collections/import) as a
// superuser, against Rapport's collections.

func schemaClient(t *testing.T) (*testkit.Org, *testkit.Client) {
	t.Helper()
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	return o, testkit.NewClient(t, o)
}

// schemaGet is a collection as the dashboard reads it.
func schemaGet(t testing.TB, c *testkit.Client, name string) map[string]any {
	t.Helper()
	res := c.Do("superuser", http.MethodGet, "/api/collections/"+name, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", name, res.Status, res.Body)
	}
	return res.JSON()
}

// schemaFields is a copy of the fields of collection data.
func schemaFields(t testing.TB, data map[string]any) []map[string]any {
	t.Helper()
	raw, _ := json.Marshal(data["fields"])
	var fields []map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	return fields
}

func schemaField(fields []map[string]any, name string) map[string]any {
	for _, f := range fields {
		if f["name"] == name {
			return f
		}
	}
	return nil
}

func schemaWithout(fields []map[string]any, name string) []map[string]any {
	return slices.DeleteFunc(slices.Clone(fields), func(f map[string]any) bool { return f["name"] == name })
}

// schemaSnapshot is the stored definition of a collection (but for when it
// was last saved).
func schemaSnapshot(t testing.TB, app core.App, name string) string {
	t.Helper()
	c := testkit.MustCollection(t, app, name)
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	delete(data, "updated")
	raw, _ = json.Marshal(data)
	return string(raw)
}

// schemaLocked asserts a 400 with data.<key>.code = "locked" whose message
// says each of want.
func schemaLocked(t testing.TB, res testkit.Response, key string, want ...string) {
	t.Helper()
	if res.Status != http.StatusBadRequest || res.Code(key) != "locked" {
		t.Fatalf("want 400 data.%s.code=locked, got %d %s", key, res.Status, res.Body)
	}
	msg, _ := res.JSON()["message"].(string)
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q does not say %q", msg, w)
		}
	}
}

func TestSchemaRapportCollectionsCannotBeDeleted(t *testing.T) {
	o, c := schemaClient(t)
	entries := func() int64 {
		n, err := o.App.CountRecords("audit_log")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := entries()
	if before == 0 {
		t.Fatal("the org left no audit entries")
	}

	res := c.Do("superuser", http.MethodDelete, "/api/collections/audit_log", nil)
	schemaLocked(t, res, "collection",
		"audit_log is part of Rapport: its records are the tamper-evident audit trail, and it cannot be deleted.")

	for _, name := range catalog.Guarded {
		stored := testkit.MustCollection(t, o.App, name)
		// by name and by id, as the dashboard calls it
		for _, ref := range []string{name, stored.Id} {
			res := c.Do("superuser", http.MethodDelete, "/api/collections/"+ref, nil)
			schemaLocked(t, res, "collection", name+" is part of Rapport", "cannot be deleted")
		}
		testkit.MustCollection(t, o.App, name)
	}
	if after := entries(); after != before {
		t.Fatalf("audit entries: %d, then %d", before, after)
	}

	// the rules still run: a create is accepted and audited
	res = c.Do("rita", http.MethodPost, "/api/collections/customers/records", `{"name":"Delta","annual_contract_amount":100,"customer_since":"2025-02-01"}`)
	if res.Status != http.StatusOK {
		t.Fatalf("create after the refused deletes: %d %s", res.Status, res.Body)
	}
	if entries() != before+1 {
		t.Fatal("the create left no audit entry")
	}
}

func TestSchemaRapportCollectionsCannotBeRenamedOrRetyped(t *testing.T) {
	o, c := schemaClient(t)
	before := schemaSnapshot(t, o.App, "expenses")

	res := c.Do("superuser", http.MethodPatch, "/api/collections/expenses", map[string]any{"name": "expenses_x"})
	schemaLocked(t, res, "name", "expenses is part of Rapport", `cannot be renamed (to "expenses_x")`)

	// the dashboard sends the whole collection
	data := schemaGet(t, c, "expenses")
	data["name"] = "expenses_x"
	res = c.Do("superuser", http.MethodPatch, "/api/collections/expenses", data)
	schemaLocked(t, res, "name", "cannot be renamed")

	res = c.Do("superuser", http.MethodPatch, "/api/collections/users", map[string]any{"name": "people"})
	schemaLocked(t, res, "name", "users is part of Rapport")

	res = c.Do("superuser", http.MethodPatch, "/api/collections/audit_log", map[string]any{"type": "view", "viewQuery": "SELECT id FROM users"})
	schemaLocked(t, res, "type", "audit_log is part of Rapport", "cannot change from a base to a view collection")

	if after := schemaSnapshot(t, o.App, "expenses"); after != before {
		t.Fatalf("expenses changed:\n%s\n%s", before, after)
	}
	if _, err := o.App.FindCollectionByNameOrId("expenses_x"); err == nil {
		t.Fatal("expenses_x exists")
	}

	// the rules still apply to expenses: a rep cannot approve their own
	plan := mkPlan(t, o, "rita", "approved", 5000)
	x := mkExpense(t, o, plan, 100, map[string]any{"status": "submitted"})
	res = c.Do("rita", http.MethodPatch, "/api/collections/expenses/records/"+x.Id, `{"amount":1,"status":"approved"}`)
	if res.Status != http.StatusBadRequest {
		t.Fatalf("rep approving their own expense: %d %s", res.Status, res.Body)
	}
}

func TestSchemaRapportFieldsCannotBeRemovedRenamedOrRetyped(t *testing.T) {
	o, c := schemaClient(t)
	customersId := testkit.MustCollection(t, o.App, "customers").Id

	for _, tc := range []struct {
		name       string
		collection string
		edit       func(fields []map[string]any) []map[string]any
		want       []string
	}{
		{"remove expenses.version", "expenses", func(fs []map[string]any) []map[string]any {
			return schemaWithout(fs, "version")
		}, []string{"expenses.version is one of Rapport's fields and cannot be removed.", "Fields you added yourself can still be renamed or removed."}},
		{"remove audit_log.hash", "audit_log", func(fs []map[string]any) []map[string]any {
			return schemaWithout(fs, "hash")
		}, []string{"audit_log.hash", "cannot be removed"}},
		{"remove users.role", "users", func(fs []map[string]any) []map[string]any {
			return schemaWithout(fs, "role")
		}, []string{"users.role", "cannot be removed"}},
		{"rename expenses.amount", "expenses", func(fs []map[string]any) []map[string]any {
			schemaField(fs, "amount")["name"] = "amt"
			return fs
		}, []string{`expenses.amount is one of Rapport's fields and cannot be renamed (to "amt").`}},
		{"retype expenses.description", "expenses", func(fs []map[string]any) []map[string]any {
			i := slices.IndexFunc(fs, func(f map[string]any) bool { return f["name"] == "description" })
			fs[i] = map[string]any{"id": fs[i]["id"], "name": "description", "type": "number"}
			return fs
		}, []string{"expenses.description", "cannot change type (text to number)"}},
		{"drop a status value", "expenses", func(fs []map[string]any) []map[string]any {
			f := schemaField(fs, "status")
			f["values"] = []string{"draft", "submitted", "rejected", "paid"}
			return fs
		}, []string{"expenses.status", "its values approved are used by the server"}},
		{"point expenses.plan elsewhere", "expenses", func(fs []map[string]any) []map[string]any {
			schemaField(fs, "plan")["collectionId"] = customersId
			return fs
		}, []string{"expenses.plan", "must keep pointing to the same collection"}},
		{"teams.viewers to one value", "teams", func(fs []map[string]any) []map[string]any {
			schemaField(fs, "viewers")["maxSelect"] = 1
			return fs
		}, []string{"teams.viewers", "must keep holding several values"}},
		{"fractional amounts", "expenses", func(fs []map[string]any) []map[string]any {
			schemaField(fs, "amount")["onlyInt"] = false
			return fs
		}, []string{"expenses.amount", "must stay a whole number"}},
	} {
		t.Run(tc.name, func(t *testing.T) { schemaEditRefused(t, c, o.App, tc.collection, tc.edit, tc.want...) })
	}

	// the stale-save protection is still there
	if testkit.MustCollection(t, o.App, "expenses").Fields.GetByName("version") == nil {
		t.Fatal("expenses.version is gone")
	}
}

func TestSchemaImportCannotDropOrAlterRapport(t *testing.T) {
	o, c := schemaClient(t)
	res := c.Do("superuser", http.MethodGet, "/api/collections?perPage=500", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("list: %d %s", res.Status, res.Body)
	}
	raw, _ := json.Marshal(res.JSON()["items"])
	// export returns a fresh copy of every collection's definition
	export := func() []map[string]any {
		var items []map[string]any
		if err := json.Unmarshal(raw, &items); err != nil {
			t.Fatal(err)
		}
		return items
	}
	byName := func(items []map[string]any, name string) map[string]any {
		for _, it := range items {
			if it["name"] == name {
				return it
			}
		}
		t.Fatalf("no %s in the export", name)
		return nil
	}
	importing := func(items []map[string]any, deleteMissing bool) testkit.Response {
		return c.Do("superuser", http.MethodPut, "/api/collections/import", map[string]any{"collections": items, "deleteMissing": deleteMissing})
	}
	before := map[string]string{}
	for _, name := range catalog.Guarded {
		before[name] = schemaSnapshot(t, o.App, name)
	}
	unchanged := func(t *testing.T) {
		t.Helper()
		for _, name := range catalog.Guarded {
			if after := schemaSnapshot(t, o.App, name); after != before[name] {
				t.Fatalf("%s changed:\n%s\n%s", name, before[name], after)
			}
		}
	}

	t.Run("leaving out audit_log and approvals, deleting missing", func(t *testing.T) {
		items := slices.DeleteFunc(export(), func(it map[string]any) bool {
			return it["name"] == "audit_log" || it["name"] == "approvals"
		})
		res := importing(items, true)
		schemaLocked(t, res, "collections", "audit_log is part of Rapport", "approvals is part of Rapport", "this import leaves it out")
		unchanged(t)
	})
	t.Run("expenses without version, deleting missing", func(t *testing.T) {
		items := export()
		x := byName(items, "expenses")
		x["fields"] = schemaWithout(schemaFields(t, x), "version")
		schemaLocked(t, importing(items, true), "collections", "expenses.version", "cannot be removed")
		unchanged(t)
	})
	t.Run("expenses without fields, deleting missing", func(t *testing.T) {
		items := export()
		x := byName(items, "expenses")
		delete(x, "fields")
		schemaLocked(t, importing(items, true), "collections", "expenses.amount", "cannot be removed")
		unchanged(t)
	})
	t.Run("renamed expenses and a renamed field", func(t *testing.T) {
		items := export()
		x := byName(items, "expenses")
		x["name"] = "expenses_x"
		fs := schemaFields(t, x)
		schemaField(fs, "amount")["name"] = "amt"
		x["fields"] = fs
		schemaLocked(t, importing(items, false), "collections", `cannot be renamed (to "expenses_x")`, `expenses.amount is one of Rapport's fields and cannot be renamed (to "amt")`)
		unchanged(t)
	})
	t.Run("a collection in expenses' place", func(t *testing.T) {
		items := export()
		x := byName(items, "expenses")
		x["id"] = "pbc_impostor0001"
		schemaLocked(t, importing(items, true), "collections", "expenses is part of Rapport", "cannot be deleted")
		unchanged(t)
	})

	t.Run("the export as it is", func(t *testing.T) {
		if res := importing(export(), true); res.Status != http.StatusNoContent {
			t.Fatalf("re-import of the export: %d %s", res.Status, res.Body)
		}
		unchanged(t)
	})
	t.Run("an added field and a new collection", func(t *testing.T) {
		items := export()
		x := byName(items, "customers")
		x["fields"] = append(schemaFields(t, x), map[string]any{"name": "wechat", "type": "text"})
		items = append(items, map[string]any{"name": "gift_catalog", "type": "base", "fields": []map[string]any{{"name": "title", "type": "text"}}})
		if res := importing(items, false); res.Status != http.StatusNoContent {
			t.Fatalf("import: %d %s", res.Status, res.Body)
		}
		if testkit.MustCollection(t, o.App, "customers").Fields.GetByName("wechat") == nil {
			t.Fatal("customers.wechat was not added")
		}
		testkit.MustCollection(t, o.App, "gift_catalog")
	})
}

func TestSchemaAdminChangesStillWork(t *testing.T) {
	o, c := schemaClient(t)
	patch := func(t *testing.T, name string, body any) map[string]any {
		t.Helper()
		res := c.Do("superuser", http.MethodPatch, "/api/collections/"+name, body)
		if res.Status != http.StatusOK {
			t.Fatalf("PATCH %s: %d %s", name, res.Status, res.Body)
		}
		return res.JSON()
	}

	t.Run("saving every Rapport collection as read", func(t *testing.T) {
		for _, name := range catalog.Guarded {
			patch(t, name, schemaGet(t, c, name))
		}
	})

	t.Run("a field of their own: add, edit, rename, remove", func(t *testing.T) {
		data := schemaGet(t, c, "customers")
		data["fields"] = append(schemaFields(t, data), map[string]any{"name": "wechat", "type": "text"})
		data = patch(t, "customers", data)
		fs := schemaFields(t, data)
		f := schemaField(fs, "wechat")
		f["max"] = 40
		f["name"] = "wechat_id"
		data["fields"] = fs
		data = patch(t, "customers", data)
		if got := testkit.MustCollection(t, o.App, "customers").Fields.GetByName("wechat_id"); got == nil || got.(*core.TextField).Max != 40 {
			t.Fatalf("customers.wechat_id: %v", got)
		}
		data["fields"] = schemaWithout(schemaFields(t, data), "wechat_id")
		patch(t, "customers", data)
		if testkit.MustCollection(t, o.App, "customers").Fields.GetByName("wechat_id") != nil {
			t.Fatal("customers.wechat_id was not removed")
		}
	})

	t.Run("options that keep values as they are", func(t *testing.T) {
		data := schemaGet(t, c, "expenses")
		fs := schemaFields(t, data)
		category := schemaField(fs, "category")
		category["values"] = append(category["values"].([]any), "training")
		schemaField(fs, "description")["max"] = 500
		schemaField(fs, "decision_note")["presentable"] = true
		data["fields"] = fs
		patch(t, "expenses", data)
		got := testkit.MustCollection(t, o.App, "expenses").Fields.GetByName("category").(*core.SelectField)
		if !slices.Contains(got.Values, "training") {
			t.Fatalf("category values: %v", got.Values)
		}
	})

	t.Run("API rules and indexes", func(t *testing.T) {
		rule := `@request.auth.id != "" && @request.auth.role = "admin"`
		patch(t, "tier_policies", map[string]any{"listRule": rule})
		if got := testkit.MustCollection(t, o.App, "tier_policies").ListRule; got == nil || *got != rule {
			t.Fatalf("tier_policies.listRule: %v", got)
		}
		data := schemaGet(t, c, "customers")
		data["indexes"] = append(data["indexes"].([]any), "CREATE INDEX idx_customers_industry ON customers (industry)")
		patch(t, "customers", data)
		if !slices.ContainsFunc(testkit.MustCollection(t, o.App, "customers").Indexes, func(s string) bool {
			return strings.Contains(s, "idx_customers_industry")
		}) {
			t.Fatal("the index was not added")
		}
	})

	t.Run("a collection of their own: create, rename, remove a field, delete", func(t *testing.T) {
		res := c.Do("superuser", http.MethodPost, "/api/collections", map[string]any{
			"name": "gift_catalog", "type": "base",
			"fields": []map[string]any{{"name": "title", "type": "text"}, {"name": "price", "type": "number"}},
		})
		if res.Status != http.StatusOK {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		data := res.JSON()
		data["name"] = "gifts"
		data["fields"] = schemaWithout(schemaFields(t, data), "price")
		patch(t, "gift_catalog", data)
		if res := c.Do("superuser", http.MethodDelete, "/api/collections/gifts", nil); res.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", res.Status, res.Body)
		}
		if _, err := o.App.FindCollectionByNameOrId("gifts"); err == nil {
			t.Fatal("gifts still exists")
		}
	})
}

// Rapport's migrations change the schema with model saves; the guard is on
// requests only (the test apps ran every migration to get here). Rapport's
// fields are System, so a migration renaming or removing one first saves it
// with System cleared, as PocketBase asks of any System field.
func TestSchemaMigrationsAreNotGuarded(t *testing.T) {
	app := testkit.NewApp(t)
	expenses := testkit.MustCollection(t, app, "expenses")
	for _, name := range []string{"description", "flags"} {
		expenses.Fields.GetByName(name).SetSystem(false)
	}
	if err := app.Save(expenses); err != nil {
		t.Fatal(err)
	}
	expenses.Fields.GetByName("description").SetName("details")
	expenses.Fields.RemoveByName("flags")
	if err := app.Save(expenses); err != nil {
		t.Fatal(err)
	}
	settings := testkit.MustCollection(t, app, "org_settings")
	if err := app.Delete(settings); err != nil {
		t.Fatal(err)
	}
}

// The QA case: a superuser dropped min, max and required on expenses.amount
// and protection on expenses.receipt, and a rep then saved -500 (freeing
// budget), 0 or no amount, and receipts became public. Loosening one of
// Rapport's fields past its migration is refused, through the dashboard and
// the import alike.
func TestSchemaRapportFieldsCannotBeLoosened(t *testing.T) {
	o, c := schemaClient(t)
	set := func(field string, options map[string]any) func([]map[string]any) []map[string]any {
		return func(fs []map[string]any) []map[string]any {
			maps.Copy(schemaField(fs, field), options)
			return fs
		}
	}

	for _, tc := range []struct {
		name       string
		collection string
		edit       func(fields []map[string]any) []map[string]any
		want       []string
	}{
		{"amount: min, max and required dropped", "expenses", set("amount", map[string]any{"min": nil, "max": nil, "required": false}), []string{
			"expenses.amount is one of Rapport's fields and must stay required, as Rapport's migrations define it (asked: not required)",
			"expenses.amount is one of Rapport's fields: its minimum is 1, as Rapport's migrations set it, and cannot be removed (a higher minimum is fine)",
			"a zero or negative expense would free budget instead of spending it",
			"expenses.amount is one of Rapport's fields: its maximum is 9007199254740991, as Rapport's migrations set it, and cannot be removed (a lower maximum is fine): past ±(2^53-1) whole numbers are no longer stored exactly.",
		}},
		{"amount: negative minimum", "expenses", set("amount", map[string]any{"min": -500}), []string{"expenses.amount", "its minimum is 1", "cannot be lowered to -500"}},
		{"amount: zero minimum", "expenses", set("amount", map[string]any{"min": 0}), []string{"expenses.amount", "cannot be lowered to 0"}},
		{"amount: maximum past 2^53-1", "expenses", set("amount", map[string]any{"max": 1e16}), []string{"expenses.amount", "cannot be raised to 10000000000000000"}},
		{"version: minimum past -(2^53-1)", "plans", set("version", map[string]any{"min": nil}), []string{"plans.version", "its minimum is 0"}},
		{"satisfaction: rated up to 10", "visits", set("satisfaction", map[string]any{"max": 10}), []string{"visits.satisfaction", "its maximum is 5", "cannot be raised to 10", "ratings 1 to 5"}},
		{"plans.customer: not required", "plans", set("customer", map[string]any{"required": false}), []string{"plans.customer", "must stay required"}},
		{"incurred_on: not required", "expenses", set("incurred_on", map[string]any{"required": false}), []string{"expenses.incurred_on", "must stay required"}},
		{"incurred_on: pattern removed", "expenses", set("incurred_on", map[string]any{"pattern": ""}), []string{
			`expenses.incurred_on is one of Rapport's fields: its pattern "^\d{4}-\d{2}-\d{2}$", as Rapport's migrations set it, cannot be removed: the server and the apps read its values in that shape (days as YYYY-MM-DD`,
		}},
		{"incurred_on: another pattern", "expenses", set("incurred_on", map[string]any{"pattern": `^\d{2}/\d{2}/\d{4}$`}), []string{"expenses.incurred_on", `cannot be changed to "^\d{2}/\d{2}/\d{4}$"`}},
		{"incurred_on: longer", "expenses", set("incurred_on", map[string]any{"max": 30}), []string{"expenses.incurred_on", "its maximum length is 10", "cannot be raised to 30"}},
		{"incurred_on: no maximum", "expenses", set("incurred_on", map[string]any{"max": 0}), []string{"expenses.incurred_on", "cannot be removed (PocketBase would then allow 5000)"}},
		{"currency: any text", "org_settings", set("currency", map[string]any{"pattern": "", "max": 100}), []string{"org_settings.currency", "its pattern", "its maximum length is 3"}},
		{"receipt: public", "expenses", set("receipt", map[string]any{"protected": false}), []string{
			"expenses.receipt is one of Rapport's fields and must stay protected, as Rapport's migrations define it (asked: public): its files are shown only to those who may see the record",
		}},
		{"receipt: larger files", "expenses", set("receipt", map[string]any{"maxSize": 50 << 20}), []string{"expenses.receipt", "its files are at most 10 MB each", "cannot be raised to 50 MB"}},
		{"receipt: more types", "expenses", set("receipt", map[string]any{"mimeTypes": []string{"image/jpeg", "image/png", "text/html", "image/svg+xml"}}), []string{"expenses.receipt", "cannot be opened to text/html, image/svg+xml (removing types is fine)"}},
		{"receipt: any type", "expenses", set("receipt", map[string]any{"mimeTypes": []string{}}), []string{"expenses.receipt", "cannot be opened to any type"}},
		{"photos: more of them", "visits", set("photos", map[string]any{"maxSelect": 50}), []string{"visits.photos", "it holds at most 10 files", "cannot be raised to 50"}},
		{"photos: public", "visits", set("photos", map[string]any{"protected": false}), []string{"visits.photos", "must stay protected"}},
		{"status: hidden", "expenses", set("status", map[string]any{"hidden": true}), []string{"expenses.status is one of Rapport's fields and cannot be hidden: the apps read and write it"}},
		{"role: hidden", "users", set("role", map[string]any{"hidden": true}), []string{"users.role", "cannot be hidden"}},
		{"tokenKey: shown", "users", set("tokenKey", map[string]any{"hidden": false}), []string{"users.tokenKey", "must stay hidden"}},
	} {
		t.Run(tc.name, func(t *testing.T) { schemaEditRefused(t, c, o.App, tc.collection, tc.edit, tc.want...) })
	}

	t.Run("import: amount and receipt loosened", func(t *testing.T) {
		before := schemaSnapshot(t, o.App, "expenses")
		data := schemaGet(t, c, "expenses")
		data["fields"] = set("receipt", map[string]any{"protected": false})(
			set("amount", map[string]any{"min": -500, "required": false})(schemaFields(t, data)))
		res := c.Do("superuser", http.MethodPut, "/api/collections/import", map[string]any{"collections": []any{data}, "deleteMissing": false})
		schemaLocked(t, res, "collections", "expenses.amount", "must stay required", "cannot be lowered to -500", "expenses.receipt", "must stay protected")
		if after := schemaSnapshot(t, o.App, "expenses"); after != before {
			t.Fatalf("expenses changed:\n%s\n%s", before, after)
		}
	})

	// the rules the refused changes would have switched off still hold
	plan := mkPlan(t, o, "rita", "approved", 5000)
	for name, amount := range map[string]string{"negative": `"amount":-500,`, "zero": `"amount":0,`, "missing": ""} {
		body := `{"plan":"` + plan.Id + `","category":"meal",` + amount + `"incurred_on":"` + testkit.Day(0) + `","status":"submitted"}`
		if res := c.Do("rita", http.MethodPost, "/api/collections/expenses/records", body); res.Status != http.StatusBadRequest || res.Code("amount") == "" {
			t.Errorf("%s amount: %d %s", name, res.Status, res.Body)
		}
	}
	if n, err := o.App.CountRecords("expenses"); err != nil || n != 0 {
		t.Fatalf("expenses written: %d %v", n, err)
	}
}

// Tightening one of Rapport's fields, and saving a field as it is stored,
// stay the admin's to do.
func TestSchemaRapportFieldsCanBeTightened(t *testing.T) {
	o, c := schemaClient(t)
	patch := func(t *testing.T, name string, data map[string]any) {
		t.Helper()
		if res := c.Do("superuser", http.MethodPatch, "/api/collections/"+name, data); res.Status != http.StatusOK {
			t.Fatalf("PATCH %s: %d %s", name, res.Status, res.Body)
		}
	}
	plan := mkPlan(t, o, "rita", "approved", 50000)
	expense := func(amount int) testkit.Response {
		return c.Do("rita", http.MethodPost, "/api/collections/expenses/records",
			map[string]any{"plan": plan.Id, "category": "meal", "amount": amount, "incurred_on": testkit.Day(0), "description": "client lunch"})
	}

	t.Run("stricter options", func(t *testing.T) {
		data := schemaGet(t, c, "expenses")
		fs := schemaFields(t, data)
		maps.Copy(schemaField(fs, "amount"), map[string]any{"min": 100, "max": 1_000_000})
		maps.Copy(schemaField(fs, "receipt"), map[string]any{"maxSize": 5 << 20, "mimeTypes": []string{"image/jpeg", "application/pdf"}})
		maps.Copy(schemaField(fs, "description"), map[string]any{"required": true, "max": 500})
		maps.Copy(schemaField(fs, "incurred_on"), map[string]any{"max": 10})
		data["fields"] = fs
		patch(t, "expenses", data)

		stored := testkit.MustCollection(t, o.App, "expenses")
		amount := stored.Fields.GetByName("amount").(*core.NumberField)
		if amount.Min == nil || *amount.Min != 100 || amount.Max == nil || *amount.Max != 1_000_000 {
			t.Fatalf("amount: min %v max %v", amount.Min, amount.Max)
		}
		receipt := stored.Fields.GetByName("receipt").(*core.FileField)
		if receipt.MaxSize != 5<<20 || len(receipt.MimeTypes) != 2 || !receipt.Protected {
			t.Fatalf("receipt: %+v", receipt)
		}
		if res := expense(2_000_000); res.Status != http.StatusBadRequest || res.Code("amount") == "" {
			t.Fatalf("an amount above the lower maximum: %d %s", res.Status, res.Body)
		}
	})

	t.Run("back to the migration's bounds", func(t *testing.T) {
		data := schemaGet(t, c, "expenses")
		fs := schemaFields(t, data)
		maps.Copy(schemaField(fs, "amount"), map[string]any{"min": 1, "max": org.MaxWhole})
		data["fields"] = fs
		patch(t, "expenses", data)
		if res := expense(2_000_000); res.Status != http.StatusOK {
			t.Fatalf("an amount within the migration's bounds: %d %s", res.Status, res.Body)
		}
	})

	t.Run("a field stored looser than its migration", func(t *testing.T) {
		// as a Go migration may leave it (model saves are not guarded)
		stored := testkit.MustCollection(t, o.App, "visits")
		stored.Fields.GetByName("satisfaction").(*core.NumberField).Max = types.Pointer(10.0)
		if err := o.App.Save(stored); err != nil {
			t.Fatal(err)
		}
		data := schemaGet(t, c, "visits")
		patch(t, "visits", data) // saved as it is
		fs := schemaFields(t, data)
		schemaField(fs, "satisfaction")["max"] = 7 // tighter than stored
		data["fields"] = fs
		patch(t, "visits", data)
		schemaField(fs, "satisfaction")["max"] = 20 // looser than both
		res := c.Do("superuser", http.MethodPatch, "/api/collections/visits", data)
		schemaLocked(t, res, "fields", "visits.satisfaction", "its maximum is 5", "cannot be raised to 20")
	})
}

// schemaEditRefused sends collection's fields changed by edit as the
// dashboard does, and expects 400 locked on fields naming want, and no change.
func schemaEditRefused(t *testing.T, c *testkit.Client, app core.App, collection string, edit func([]map[string]any) []map[string]any, want ...string) {
	t.Helper()
	before := schemaSnapshot(t, app, collection)
	data := schemaGet(t, c, collection)
	data["fields"] = edit(schemaFields(t, data))
	res := c.Do("superuser", http.MethodPatch, "/api/collections/"+collection, data)
	schemaLocked(t, res, "fields", want...)
	if after := schemaSnapshot(t, app, collection); after != before {
		t.Fatalf("%s changed:\n%s\n%s", collection, before, after)
	}
}

// System is what keeps PocketBase itself from removing or renaming one of
// Rapport's fields; the dashboard cannot switch it off.
func TestSchemaRapportFieldsStaySystem(t *testing.T) {
	o, c := schemaClient(t)
	for _, tc := range []struct{ collection, field string }{{"expenses", "amount"}, {"users", "role"}} {
		schemaEditRefused(t, c, o.App, tc.collection, func(fs []map[string]any) []map[string]any {
			schemaField(fs, tc.field)["system"] = false
			return fs
		}, tc.collection+"."+tc.field+" is one of Rapport's fields and must stay a system field")
	}
}
