package migrations

import (
	"encoding/json"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Rapport's collections and fields are locked against the collections API
// (the dashboard, the import): hooks/schema.go refuses deleting, renaming,
// retyping or loosening them. This migration gives that guard its facts:
//
//   - every field of Rapport's collections is marked System, so PocketBase
//     itself refuses to delete or rename it on any path (and an import that
//     deletes missing fields keeps it);
//   - _schema_locked holds, per Rapport collection (by id), its fields as
//     the migrations define them: the guard compares a loosened option with
//     these values and names them in its refusal.
//
// The collections themselves are not marked System: PocketBase would then
// refuse every change of their API rules, which stay the admin's to edit.
//
// A later migration that adds a Rapport collection or field calls
// lockSchema for it; one that renames or removes a Rapport field first saves
// it with System cleared (PocketBase refuses both on a System field).
func init() {
	m.Register(func(app core.App) error {
		if _, err := app.DB().NewQuery(`CREATE TABLE _schema_locked (
			collection TEXT PRIMARY KEY NOT NULL,
			fields     JSON NOT NULL
		) WITHOUT ROWID`).Execute(); err != nil {
			return err
		}
		for _, name := range lockedCollections() {
			if err := lockSchema(app, name); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		for _, name := range lockedCollections() {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil || c.IsView() {
				continue
			}
			for _, f := range c.Fields {
				if _, ok := pocketBaseSystem[c.Type][f.GetName()]; !ok {
					f.SetSystem(false)
				}
			}
			if err := app.Save(c); err != nil {
				return err
			}
		}
		_, err := app.DB().NewQuery("DROP TABLE _schema_locked").Execute()
		return err
	})
}

// lockedCollections are the collections Rapport's migrations create or
// extend, from those migrations' own lists: users and the first migration's
// collections (intLimitCollections), complaints (care) and notifications,
// which their migrations create alone, and the report views.
func lockedCollections() []string {
	names := append([]string{}, intLimitCollections...)
	names = append(names, "complaints", "notifications")
	for _, v := range reportViews {
		names = append(names, v.name)
	}
	return names
}

// pocketBaseSystem are the fields PocketBase itself keeps System (the down
// migration leaves them so).
var pocketBaseSystem = map[string]map[string]struct{}{
	core.CollectionTypeBase: {"id": {}},
	core.CollectionTypeAuth: {"id": {}, "password": {}, "tokenKey": {}, "email": {}, "emailVisibility": {}, "verified": {}},
}

// lockSchema marks fields of Rapport's collection name System (all of its
// fields when none is named) and records their definitions in
// _schema_locked, next to those recorded before. A view's fields come from
// its query: only the collection is recorded.
func lockSchema(app core.App, name string, fields ...string) error {
	c, err := app.FindCollectionByNameOrId(name)
	if err != nil {
		return err
	}
	locked := core.NewFieldsList()
	var stored string
	err = app.DB().NewQuery("SELECT fields FROM _schema_locked WHERE collection = {:id}").
		Bind(dbx.Params{"id": c.Id}).Row(&stored)
	if err == nil {
		if err := json.Unmarshal([]byte(stored), &locked); err != nil {
			return err
		}
	}
	if !c.IsView() {
		for _, f := range c.Fields {
			if len(fields) > 0 && !slices.Contains(fields, f.GetName()) {
				continue
			}
			f.SetSystem(true)
			locked.Add(f)
		}
		if err := app.Save(c); err != nil {
			return err
		}
	}
	raw, err := json.Marshal(locked)
	if err != nil {
		return err
	}
	_, err = app.DB().NewQuery(`INSERT INTO _schema_locked (collection, fields) VALUES ({:id}, {:fields})
		ON CONFLICT (collection) DO UPDATE SET fields = excluded.fields`).
		Bind(dbx.Params{"id": c.Id, "fields": string(raw)}).Execute()
	return err
}
