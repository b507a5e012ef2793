// Package narrow carries record updates written without the record events:
// one statement on a record's server columns (a plan's or budget's sums),
// where a whole save would run the record pipeline again for two numbers.
// What hangs on the update events and must still see such a change — the
// sync change log — binds OnUpdated, and the writer calls Updated inside the
// write's transaction.
package narrow

import (
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

const storeKey = "rapport.narrow.updated"

// OnUpdated is app's hook of narrow updates: its handlers run, in the
// writer's transaction (e.App), for every record updated by a plain
// statement. It is kept in app's store, which the app's transactions share.
func OnUpdated(app core.App) *hook.Hook[*core.RecordEvent] {
	return app.Store().GetOrSet(storeKey, func() any { return &hook.Hook[*core.RecordEvent]{} }).(*hook.Hook[*core.RecordEvent])
}

// Updated tells OnUpdated's handlers that r, as it now is, was updated
// through app (the write's transaction).
func Updated(app core.App, r *core.Record) error {
	e := &core.RecordEvent{}
	e.App = app
	e.Record = r
	return OnUpdated(app).Trigger(e)
}
