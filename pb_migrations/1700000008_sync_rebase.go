package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// _sync_clients.rebase is set on every install when a server starts on a
// restored backup (internal/sync, epoch.go): the restore rolled its
// lastMutationId back past mutations the app already dropped, and its next
// push may start after the gap once.
func init() {
	m.Register(func(app core.App) error {
		_, err := app.DB().NewQuery(`ALTER TABLE _sync_clients ADD COLUMN rebase INTEGER NOT NULL DEFAULT 0`).Execute()
		return err
	}, func(app core.App) error {
		_, err := app.DB().NewQuery(`ALTER TABLE _sync_clients DROP COLUMN rebase`).Execute()
		return err
	})
}
