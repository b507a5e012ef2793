package migrations_test

import (
	"encoding/json"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/testkit"
)

// Migration 1700000090: every field of Rapport's collections is System and
// recorded as the migrations define it; PocketBase then refuses, on any
// path, to remove or rename one, and a collection an admin adds is not
// Rapport's.
func TestSchemaLocked(t *testing.T) {
	app := testkit.NewApp(t)
	recorded := func(c *core.Collection) (core.FieldsList, bool) {
		var raw string
		if err := app.DB().NewQuery("SELECT fields FROM _schema_locked WHERE collection = {:id}").
			Bind(dbx.Params{"id": c.Id}).Row(&raw); err != nil {
			return nil, false
		}
		var fields core.FieldsList
		if err := json.Unmarshal([]byte(raw), &fields); err != nil {
			t.Fatal(err)
		}
		return fields, true
	}
	for name := range schema {
		c := testkit.MustCollection(t, app, name)
		fields, ok := recorded(c)
		if !ok {
			t.Errorf("%s is not recorded as Rapport's", name)
			continue
		}
		for _, f := range c.Fields {
			if !f.GetSystem() {
				t.Errorf("%s.%s is not System", name, f.GetName())
			}
			if fields.GetById(f.GetId()) == nil {
				t.Errorf("%s.%s is not recorded", name, f.GetName())
			}
		}
	}
	migrated, _ := recorded(testkit.MustCollection(t, app, "expenses"))
	amount, _ := migrated.GetByName("amount").(*core.NumberField)
	if amount == nil || !amount.Required || amount.Min == nil || *amount.Min != 1 {
		t.Errorf("expenses.amount recorded as %+v", amount)
	}
	if _, ok := recorded(testkit.MustCollection(t, app, "report_spend_tier_month")); !ok {
		t.Error("the report views are not recorded as Rapport's")
	}

	expenses := testkit.MustCollection(t, app, "expenses")
	expenses.Fields.RemoveByName("version")
	if err := app.Save(expenses); err == nil {
		t.Fatal("PocketBase removed the System field expenses.version")
	}

	gifts := core.NewBaseCollection("gift_catalog")
	gifts.Fields.Add(&core.TextField{Name: "title"})
	if err := app.Save(gifts); err != nil {
		t.Fatal(err)
	}
	if _, ok := recorded(gifts); ok || gifts.Fields.GetByName("title").GetSystem() {
		t.Error("an admin's collection is locked")
	}
}

// Every collection the migrations create is Rapport's and locked: a later
// migration that adds one and forgets lockSchema fails here, instead of
// leaving it open to the collections API.
func TestEveryMigratedCollectionIsLocked(t *testing.T) {
	app := testkit.NewApp(t)
	cols, err := app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		if c.System { // PocketBase's own (_superusers, _mfas, …)
			continue
		}
		var n int
		if err := app.DB().NewQuery("SELECT count(*) FROM _schema_locked WHERE collection = {:id}").
			Bind(dbx.Params{"id": c.Id}).Row(&n); err != nil || n == 0 {
			t.Errorf("collection %s is created by a migration but not locked (call lockSchema in its migration)", c.Name)
		}
	}
}
