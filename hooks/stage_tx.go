package hooks

import (
	"database/sql"
	"errors"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"rapport/internal/actor"
	"rapport/internal/catalog"
)

// bindTx runs every guarded write in a rule transaction: the rules, the
// write, its cascades, audit entry and change log commit or fail together.
// A write naming no writer is refused first (actor.Require).
func bindTx(app core.App) {
	actor.Require(app, catalog.Guarded...)
	bind(app.OnRecordCreate(catalog.Guarded...), StageTx, "rapport.tx", inTx)
	bind(app.OnRecordUpdate(catalog.Guarded...), StageTx, "rapport.tx", inTx)
	bind(app.OnRecordDelete(catalog.Guarded...), StageTx, "rapport.tx", inTx)
}

// inTx runs the rest of the write in a transaction (or joins the one it
// is in), on the row as stored now (current).
func inTx(e *core.RecordEvent) error {
	outer := e.App
	// PocketBase runs the after-success hooks (realtime broadcasts among
	// them) with the event's app: it must not be the finished transaction.
	defer func() { e.App = outer }()
	return outer.RunInTransaction(func(tx core.App) error {
		e.App = tx
		if !e.Record.IsNew() {
			if err := current(tx, e.Record); err != nil {
				return err
			}
		}
		return e.Next()
	})
}

// current makes r the row as stored now plus this save's own changes. A
// save works from the record as it was read, and the records API reads it
// before the rule transaction starts: a write that committed in between
// would be undone by writing back what was read (a submitted expense back
// to draft, under sums that still count it). The version stamp tells; the
// rules then judge the change against the current row, and a field both
// writes changed keeps this save's value.
func current(tx core.App, r *core.Record) error {
	if r.Collection().Fields.GetByName("version") == nil {
		return nil
	}
	var version int
	err := tx.DB().Select("version").From(r.Collection().Name).Where(dbx.HashExp{"id": r.Id}).Row(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return router.NewNotFoundError("This record was deleted meanwhile.", nil)
	} else if err != nil {
		return err
	}
	read := r.Original()
	if version == read.GetInt("version") {
		return nil
	}
	now, err := tx.FindRecordById(r.Collection(), r.Id)
	if err != nil {
		return err
	}
	own := map[string]any{}
	for _, name := range changedFields(r, read, r.Collection().Fields.FieldNames()) {
		own[name] = r.GetRaw(name)
	}
	for name, v := range now.FieldsData() {
		r.SetRaw(name, v)
	}
	if err := r.PostScan(); err != nil { // the current row becomes the original
		return err
	}
	for name, v := range own {
		r.SetRaw(name, v)
	}
	return nil
}
