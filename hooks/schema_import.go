package hooks

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/pocketbase/pocketbase/core"
)

// importProblems applies PocketBase's import matching (core.ImportCollections:
// an entry updates the collection named by its id, else by its name; fields
// left out are kept, or with deleteMissing deleted, PocketBase's system
// fields aside) without saving anything, and lists what it would break.
// Rapport's fields count as left out with deleteMissing: PocketBase would
// keep them as System fields, but the import asks to drop them, and the
// admin is told so rather than left with a schema unlike the file.
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
		locked, _ := lockedFields(app, existing)
		for _, f := range existing.Fields {
			if deleteMissing && (!f.GetSystem() || locked.GetById(f.GetId()) != nil) {
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
		ps = append(ps, leftOut(app, kept)...)
	}
	return ps, nil
}

// leftOut refuses an import that deletes missing collections and leaves
// out one of Rapport's.
func leftOut(app core.App, kept map[string]bool) problems {
	var ps problems
	stored, err := app.FindAllCollections()
	if err != nil {
		return problems{{"collections", "The collections could not be read to check the import: " + err.Error()}}
	}
	for _, c := range stored {
		if kept[c.Id] || c.System {
			continue
		}
		if _, ok := lockedFields(app, c); ok {
			ps = append(ps, problem{"collections", fmt.Sprintf("%s cannot be deleted, and this import leaves it out while deleting missing collections. Export the collections again (or untick deleting missing ones) and import that.", partOfRapport(c.Name))})
		}
	}
	return ps
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
