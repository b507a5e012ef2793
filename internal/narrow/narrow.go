// Package narrow carries record updates written without the record events:
// one statement on a record's server columns (a plan's or budget's sums),
// where a whole save would run the record pipeline again for two numbers.
// What hangs on the update events and must still see such a change — the
// sync change log — subscribes here, and the writer calls Updated inside
// the write's transaction.
package narrow

import (
	gosync "sync"

	"github.com/pocketbase/pocketbase/core"
)

var subscribers = struct {
	gosync.Mutex
	byDir map[string][]func(app core.App, r *core.Record) error
}{byDir: map[string][]func(core.App, *core.Record) error{}}

// OnUpdated calls fn, in the writer's transaction, for every narrow update
// of a record of app (one subscription list per data directory).
func OnUpdated(app core.App, fn func(app core.App, r *core.Record) error) {
	subscribers.Lock()
	defer subscribers.Unlock()
	dir := app.DataDir()
	subscribers.byDir[dir] = append(subscribers.byDir[dir], fn)
}

// Updated tells the subscribers that r, as it now is, was updated through
// app (the write's transaction).
func Updated(app core.App, r *core.Record) error {
	subscribers.Lock()
	fns := subscribers.byDir[app.DataDir()]
	subscribers.Unlock()
	for _, fn := range fns {
		if err := fn(app, r); err != nil {
			return err
		}
	}
	return nil
}
