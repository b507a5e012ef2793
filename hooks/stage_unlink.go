package hooks

import (
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/catalog"
)

// bindUnlink: deleting a record that others point at through an optional
// relation (a draft plan that visits name) unlinks them, as PocketBase
// would do itself — but PocketBase saves them without an actor, and a
// guarded write without one is refused. So the references are unlinked
// here first, each as a server write caused by the delete (audited as the
// deleter's). It runs last (StageUnlink), after every check that may refuse the delete
// (in use, held by expenses, permissions); required relations are left to
// PocketBase, which refuses the delete.
func bindUnlink(app core.App) {
	bind(app.OnRecordDeleteExecute(catalog.Guarded...), StageUnlink, "rapport.unlink", unlink)
}

func unlink(e *core.RecordEvent) error {
	if err := unlinkReferences(e.App, e.Record); err != nil {
		return err
	}
	return e.Next()
}

// unlinkReferences removes r's id from the optional relations of the
// guarded records that name it.
func unlinkReferences(app core.App, r *core.Record) error {
	refs, err := app.FindCollectionReferences(r.Collection())
	if err != nil {
		return err
	}
	for c, fields := range refs {
		if !slices.Contains(catalog.Guarded, c.Name) {
			continue
		}
		for _, f := range fields {
			rel, ok := f.(*core.RelationField)
			if !ok || rel.Required || rel.CascadeDelete {
				continue
			}
			records, err := app.FindRecordsByFilter(c, rel.Name+" ?= {:id}", "", 0, 0, dbx.Params{"id": r.Id})
			if err != nil {
				return err
			}
			for _, ref := range records {
				ref.Set(rel.Name, slices.DeleteFunc(ref.GetStringSlice(rel.Name), func(id string) bool { return id == r.Id }))
				causedBy(ref, r)
				// unvalidated, as PocketBase does: another relation of
				// ref may name a record deleted before
				if err := app.SaveNoValidate(ref); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
