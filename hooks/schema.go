package hooks

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pocketbase/dbx"
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
// Migration 1700000090 marks every field of Rapport's collections System,
// so PocketBase itself refuses to delete or rename it on any path, and
// records the fields as the migrations define them in _schema_locked. On
// top of that, bindSchema refuses, with 400 and data.<key>.code = "locked"
// and a message naming the field and the reason, any collections API
// request that would
//   - delete, rename or retype a Rapport collection (System on a collection
//     would also freeze its API rules, which stay the admin's);
//   - remove, rename or retype one of Rapport's fields, clear its System
//     flag, or change an option its values depend on (schemaProblems);
//   - loosen one of Rapport's fields past its definition in the migrations
//     (fieldLoosening). Tightening is fine.
//
// Fields and collections an admin added stay theirs to change and delete;
// API rules, indexes and the other field options stay editable. These are
// request hooks: Rapport's own Go migrations (model-level saves) still
// change the schema.
func bindSchema(app core.App) {
	app.OnCollectionDeleteRequest().BindFunc(func(e *core.CollectionRequestEvent) error {
		if _, ok := lockedFields(e.App, e.Collection); ok {
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

// lockedFields are c's fields as Rapport's migrations define them, recorded
// by the migrations in _schema_locked; ok is false when c is not one of
// Rapport's collections. An unreadable record locks c and its System fields.
func lockedFields(app core.App, c *core.Collection) (fields core.FieldsList, ok bool) {
	var raw string
	err := app.DB().NewQuery("SELECT fields FROM _schema_locked WHERE collection = {:id}").
		Bind(dbx.Params{"id": c.Id}).Row(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false
	}
	if err == nil {
		err = json.Unmarshal([]byte(raw), &fields)
	}
	if err != nil {
		app.Logger().Warn("schema guard: locked schema unreadable, the collection's System fields are locked as stored", "collection", c.Name, "error", err)
		fields = core.NewFieldsList()
		for _, f := range c.Fields {
			if f.GetSystem() {
				fields.Add(f)
			}
		}
	}
	return fields, true
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
