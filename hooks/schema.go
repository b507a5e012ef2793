package hooks

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Rapport's collections are its rules' anchors: every hook finds its
// collection by name and every rule reads fields by name and type. Through
// the collections API (the dashboard, PUT /api/collections/import) a
// superuser could delete one — the audit chain or every approval with it —
// or rename it, and the rules would silently stop applying to it.
//
// bindSchema refuses, with 400 and data.<key>.code = "locked", any
// collections API request that would
//   - delete, rename or retype a Rapport collection;
//   - remove, rename or retype one of Rapport's fields (matched by id, as
//     PocketBase matches them), or change an option its values depend on:
//     a select's values, a relation's target collection, one value vs
//     several (select, relation, file), a number's whole-number setting.
//
// Rapport's collections are Guarded (what the write pipeline binds to) plus
// every non-system collection Rapport's migrations create; Rapport's fields
// are the ones those migrations define. The migrations' schema comes from
// running the registered migrations once per process on a scratch database
// (migratedSchema), not from a list kept by hand. Fields and collections an
// admin added stay theirs to change and delete; API rules, indexes and the
// other field options stay editable, and rules are the admin's
// responsibility.
//
// These are request hooks: Rapport's own Go migrations (model-level saves)
// still change the schema freely.
func bindSchema(app core.App) {
	app.OnCollectionDeleteRequest().BindFunc(func(e *core.CollectionRequestEvent) error {
		if isRapportCollection(e.Collection.Name) {
			msg := fmt.Sprintf("%s cannot be deleted. Rapport's rules are bound to it by name; collections you created yourself can still be deleted.", partOfRapport(e.Collection.Name))
			return lockedError(msg, validation.Errors{"collection": validation.NewError("locked", msg)})
		}
		return e.Next()
	})

	app.OnCollectionUpdateRequest().BindFunc(func(e *core.CollectionRequestEvent) error {
		original, err := e.App.FindCollectionByNameOrId(asString(e.Collection.LastSavedPK()))
		if err != nil {
			return e.Next() // PocketBase answers for a collection it cannot find
		}
		if problems := schemaProblems(e.App, original, e.Collection); len(problems) > 0 {
			return problems.err()
		}
		return e.Next()
	})

	app.OnCollectionsImportRequest().BindFunc(func(e *core.CollectionsImportRequestEvent) error {
		problems, err := importProblems(e.App, e.CollectionsData, e.DeleteMissing)
		if err != nil {
			return e.BadRequestError("Failed to import collections.", err)
		}
		if len(problems) > 0 {
			// one key, as PocketBase reports import failures
			for i := range problems {
				problems[i].key = "collections"
			}
			return problems.err()
		}
		return e.Next()
	})
}

// collectionPurpose says, per collection, why an admin should not remove it.
var collectionPurpose = map[string]string{
	"users":         "its records are the accounts whose roles, teams and approval limits every rule reads",
	"teams":         "its records are the team tree that routes approvals and decides what managers see",
	"customers":     "its records are the customers that plans, visits and expenses belong to",
	"plans":         "its records are the maintenance plans whose approved budgets expenses spend",
	"visits":        "its records are the reps' visits and check-ins",
	"expenses":      "its records are the expenses whose approval, budgets and payment the server enforces",
	"approvals":     "its records are the approval decisions, which nobody may change or delete",
	"budgets":       "its records are the budgets every submission is checked against",
	"tier_policies": "its records are the tier policies that set customer tiers, limits and visit intervals",
	"org_settings":  "its record is the organisation's settings (currency, time zone, policy limits)",
	"audit_log":     "its records are the tamper-evident audit trail",
}

func partOfRapport(name string) string {
	purpose, ok := collectionPurpose[name]
	if !ok {
		purpose = "the server's rules are bound to it"
	}
	return name + " is part of Rapport: " + purpose + ", and it"
}

// isRapportCollection reports whether name is one of Rapport's collections.
func isRapportCollection(name string) bool {
	if slices.Contains(Guarded, name) {
		return true
	}
	migrated, err := migratedSchema()
	if err != nil {
		return false
	}
	c, ok := migrated[name]
	return ok && !c.System
}

// problem is one refused change: key is the error's data key.
type problem struct {
	key, msg string
}

type problems []problem

// err is the 400 answer: data.<key> = {code: "locked", message}; the
// message names every refused change.
func (ps problems) err() error {
	msgs := map[string][]string{}
	keys := []string{}
	all := make([]string, 0, len(ps))
	for _, p := range ps {
		if _, ok := msgs[p.key]; !ok {
			keys = append(keys, p.key)
		}
		msgs[p.key] = append(msgs[p.key], p.msg)
		all = append(all, p.msg)
	}
	data := validation.Errors{}
	for _, k := range keys {
		data[k] = validation.NewError("locked", strings.Join(msgs[k], " "))
	}
	return lockedError(strings.Join(all, " "), data)
}

// lockedError is PocketBase's 400 with the messages as written (PocketBase
// would capitalise them, and they start with a collection's name).
func lockedError(msg string, data validation.Errors) error {
	err := router.NewBadRequestError(msg, data)
	err.Message = msg
	for key, e := range data {
		if item, ok := err.Data[key].(map[string]any); ok {
			item["message"] = e.Error()
		}
	}
	return err
}

// schemaProblems lists what changing stored into changed would break, when
// stored is one of Rapport's collections.
func schemaProblems(app core.App, stored, changed *core.Collection) problems {
	if !isRapportCollection(stored.Name) {
		return nil
	}
	var ps problems
	name := stored.Name
	if changed.Id != stored.Id {
		ps = append(ps, problem{"id", fmt.Sprintf("%s cannot change its id.", partOfRapport(name))})
	}
	if changed.Name != name {
		ps = append(ps, problem{"name", fmt.Sprintf("%s cannot be renamed (to %q): the server's rules and the apps find it by its name. You can still add fields and edit its API rules and indexes.", partOfRapport(name), changed.Name)})
	}
	if changed.Type != stored.Type {
		ps = append(ps, problem{"type", fmt.Sprintf("%s cannot change from a %s to a %s collection.", partOfRapport(name), stored.Type, changed.Type)})
	}

	own, all := rapportFields(app, stored)
	fieldsLocked := false
	for _, f := range own {
		old := f.stored
		label := name + "." + old.GetName()
		nf := changed.Fields.GetById(old.GetId())
		switch {
		case nf == nil:
			ps = append(ps, problem{"fields", fmt.Sprintf("%s is one of Rapport's fields and cannot be removed.", label)})
		case nf.GetName() != old.GetName():
			ps = append(ps, problem{"fields", fmt.Sprintf("%s is one of Rapport's fields and cannot be renamed (to %q).", label, nf.GetName())})
		case nf.Type() != old.Type():
			ps = append(ps, problem{"fields", fmt.Sprintf("%s is one of Rapport's fields and cannot change type (%s to %s).", label, old.Type(), nf.Type())})
		default:
			if msg := optionProblem(label, f.migrated, old, nf); msg != "" {
				ps = append(ps, problem{"fields", msg})
			}
			continue
		}
		fieldsLocked = true
	}
	if fieldsLocked {
		reason := "The server's rules and the apps read and write Rapport's fields by name and type."
		if !all {
			reason += " Fields you added yourself can still be renamed or removed."
		}
		ps = append(ps, problem{"fields", reason})
	}
	return ps
}

// optionProblem is the refusal of an option change that the server's or the
// apps' handling of old's values depends on ("" when there is none).
func optionProblem(label string, migrated, old, changed core.Field) string {
	multiple := func(f core.Field) (bool, bool) {
		m, ok := f.(interface{ IsMultiple() bool })
		if !ok {
			return false, false
		}
		return m.IsMultiple(), true
	}
	if a, ok := multiple(old); ok {
		if b, _ := multiple(changed); a != b {
			holds := "one value"
			if a {
				holds = "several values"
			}
			return fmt.Sprintf("%s is one of Rapport's fields and must keep holding %s (max select).", label, holds)
		}
	}
	switch o := old.(type) {
	case *core.SelectField:
		m, _ := migrated.(*core.SelectField)
		n, ok := changed.(*core.SelectField)
		if !ok {
			break
		}
		var gone []string
		for _, v := range o.Values {
			if m != nil && slices.Contains(m.Values, v) && !slices.Contains(n.Values, v) {
				gone = append(gone, v)
			}
		}
		if len(gone) > 0 {
			return fmt.Sprintf("%s is one of Rapport's fields: its values %s are used by the server and the apps and cannot be removed (values can be added).", label, strings.Join(gone, ", "))
		}
	case *core.RelationField:
		if n, ok := changed.(*core.RelationField); ok && n.CollectionId != o.CollectionId {
			return fmt.Sprintf("%s is one of Rapport's fields and must keep pointing to the same collection.", label)
		}
	case *core.NumberField:
		m, _ := migrated.(*core.NumberField)
		if n, ok := changed.(*core.NumberField); ok && m != nil && m.OnlyInt && o.OnlyInt && !n.OnlyInt {
			return fmt.Sprintf("%s is one of Rapport's fields and must stay a whole number (money is in minor units, counts are counts).", label)
		}
	}
	return ""
}

// ownField is one of Rapport's fields on a stored collection, with its
// definition in the migrations.
type ownField struct {
	stored, migrated core.Field
}

// rapportFields returns the fields of stored that Rapport's migrations
// define (matched by name); all reports that the migrations' schema was not
// available and every stored field counts as Rapport's.
func rapportFields(app core.App, stored *core.Collection) (own []ownField, all bool) {
	migrated, err := migratedSchema()
	ref := migrated[stored.Name]
	if err != nil || ref == nil {
		if err != nil {
			app.Logger().Warn("schema guard: migrations' schema unavailable, every field of the collection is locked", "collection", stored.Name, "error", err)
		}
		for _, f := range stored.Fields {
			own = append(own, ownField{f, f})
		}
		return own, true
	}
	for _, mf := range ref.Fields {
		if f := stored.Fields.GetByName(mf.GetName()); f != nil {
			own = append(own, ownField{f, mf})
		}
	}
	return own, false
}

// importProblems applies PocketBase's import matching (core.ImportCollections:
// an entry updates the collection named by its id, else by its name; with
// deleteMissing, collections and non-system fields left out are deleted)
// without saving anything, and lists what it would break.
func importProblems(app core.App, entries []map[string]any, deleteMissing bool) (problems, error) {
	var ps problems
	kept := map[string]bool{}
	for _, entry := range entries {
		identifier := asString(entry["id"])
		if identifier == "" {
			identifier = asString(entry["name"])
		}
		existing, err := app.FindCollectionByNameOrId(identifier)
		if errors.Is(err, sql.ErrNoRows) {
			continue // a new collection
		}
		if err != nil {
			return nil, err
		}
		imported, err := app.FindCollectionByNameOrId(existing.Id) // a copy
		if err != nil {
			return nil, err
		}
		data := maps.Clone(entry)
		if data["fields"] == nil && deleteMissing {
			data["fields"] = []map[string]any{}
		}
		raw, err := json.Marshal(data)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, imported); err != nil {
			return nil, err
		}
		for _, f := range existing.Fields {
			if !f.GetSystem() && deleteMissing {
				continue
			}
			if imported.Fields.GetById(f.GetId()) == nil {
				if found := imported.Fields.GetByName(f.GetName()); found != nil && found.Type() == f.Type() {
					found.SetId(f.GetId())
				}
				imported.Fields.Add(f)
			}
		}
		kept[imported.Id] = true
		ps = append(ps, schemaProblems(app, existing, imported)...)
	}
	if deleteMissing {
		stored, err := app.FindAllCollections()
		if err != nil {
			return nil, err
		}
		for _, c := range stored {
			if !kept[c.Id] && !c.System && isRapportCollection(c.Name) {
				ps = append(ps, problem{"collections", fmt.Sprintf("%s cannot be deleted, and this import leaves it out while deleting missing collections. Export the collections again (or untick deleting missing ones) and import that.", partOfRapport(c.Name))})
			}
		}
	}
	return ps, nil
}

// asString reads an id or name as PocketBase's import does (cast.ToString).
func asString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// migratedSchema is the schema Rapport's migrations create, by collection
// name: the registered migrations (PocketBase's and Rapport's) run once per
// process on a scratch database, the first time a collections API request
// needs it. An error leaves the guard on Guarded with every field locked.
func migratedSchema() (map[string]*core.Collection, error) {
	migrated.once.Do(func() {
		migrated.collections, migrated.err = runMigrations()
	})
	return migrated.collections, migrated.err
}

var migrated struct {
	once        sync.Once
	collections map[string]*core.Collection
	err         error
}

func runMigrations() (map[string]*core.Collection, error) {
	dir, err := os.MkdirTemp("", "rapport_schema_")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	scratch := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	defer func() {
		// stops the scratch app's log writer and closes its databases
		_ = scratch.OnTerminate().Trigger(&core.TerminateEvent{App: scratch}, func(e *core.TerminateEvent) error {
			return e.App.ResetBootstrapState()
		})
	}()
	if err := scratch.Bootstrap(); err != nil {
		return nil, fmt.Errorf("schema guard: scratch app: %w", err)
	}
	if err := scratch.RunAllMigrations(); err != nil {
		return nil, fmt.Errorf("schema guard: migrations on a scratch database: %w", err)
	}
	all, err := scratch.FindAllCollections()
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*core.Collection, len(all))
	for _, c := range all {
		byName[c.Name] = c
	}
	return byName, nil
}
