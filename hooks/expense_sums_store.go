package hooks

import (
	"context"
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/budget"
	"rapport/internal/narrow"
	"rapport/internal/txstate"
)

// storeSums adds d, caused by a write of expense x, to the sums of r (a plan
// or budget) with one statement on the sums columns, its version and
// updated, instead of a whole save: a submit moves two sums, and a whole
// save of each ran the record pipeline again (its hooks, an UPDATE of every
// column that rewrites every index entry of the row) for two numbers.
//
// What the save's events gave a sums change, it still gets, in the same
// transaction: the version stamp, the audit entry (the same entry, caused by
// x's writer), the change-log rows and poke (sums move no one's sight, so
// r's audience now is the one to tell), and PocketBase's after-update
// events once the transaction commits (realtime). The rules bound to plan
// and budget updates judge fields a sums change never touches (status,
// period, shape, amount), so there is nothing for them to refuse. The sums
// are added in SQL, so they stay exact even if r was read before another
// write of the same row, and r is refreshed with what was stored.
func storeSums(app core.App, r *core.Record, d budget.Sums, x *core.Record) error {
	if d == (budget.Sums{}) {
		return nil
	}
	causedBy(r, x)
	name := r.Collection().Name
	var stored struct {
		Committed int64 `db:"committed"`
		Spent     int64 `db:"spent"`
		Version   int   `db:"version"`
	}
	now := types.NowDateTime()
	err := app.DB().NewQuery("UPDATE {{" + name + "}} SET committed = committed + {:c}, spent = spent + {:s}, " +
		"version = version + 1, updated = {:now} WHERE id = {:id} RETURNING committed, spent, version").
		Bind(dbx.Params{"c": d.Committed, "s": d.Spent, "now": now.String(), "id": r.Id}).One(&stored)
	if err != nil {
		return fmt.Errorf("store the sums of %s %s: %w", name, r.Id, err)
	}
	txstate.Wrote(app, name)
	before := r.Clone()
	budget.Apply(before, budget.Sums{Committed: stored.Committed - d.Committed, Spent: stored.Spent - d.Spent})
	before.Set("version", stored.Version-1)
	budget.Apply(r, budget.Sums{Committed: stored.Committed, Spent: stored.Spent})
	r.Set("version", stored.Version)
	r.Set("updated", now)
	if err := r.PostScan(); err != nil { // what is stored is r's original now
		return err
	}
	e := &core.RecordEvent{App: app}
	e.Record = r
	if err := writeAudit(e, "update", before); err != nil {
		return err
	}
	if err := narrow.Updated(app, r); err != nil {
		return err
	}
	return afterUpdate(app, r)
}

// afterUpdate runs PocketBase's after-update events of r once app's
// transaction has committed (at once outside one), as a save would: the
// realtime broadcast hangs on them.
func afterUpdate(app core.App, r *core.Record) error {
	e := &core.ModelEvent{App: app, Context: context.Background(), Type: core.ModelEventTypeUpdate}
	e.Model = r
	tx := app.TxInfo()
	if tx == nil {
		return app.OnModelAfterUpdateSuccess().Trigger(e)
	}
	root := txstate.Root(app)
	if root == nil {
		return fmt.Errorf("sums of %s %s: no app to run its after-update events with (txstate.Watch not bound)", r.Collection().Name, r.Id)
	}
	tx.OnComplete(func(txErr error) error {
		if txErr != nil {
			return nil
		}
		e.App = root
		return root.OnModelAfterUpdateSuccess().Trigger(e)
	})
	return nil
}
