package sync

import (
	"math/rand/v2"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// The change log's epoch names its history, and every cursor carries it.
// A server restored from a backup hands out again the seqs of the changes
// it lost, for other changes: a device's cursor from before the restore may
// look valid and skip them. So a restored database starts a new epoch, and
// pull resets every cursor of another epoch.
//
// A restored database is told by a mark: a backup is taken with the row
// ('restored', 1) in _sync_state, which the live database drops right
// after. A server that starts with the mark runs on a restored backup.
//
// The restore also rolls back each install's lastMutationId, while the app
// dropped the mutations acknowledged since: its next push starts past the
// server's, which would answer out_of_order forever. So every install
// known then is marked for one rebase (clients.go), and so is every install
// the restored database meets for the first time: it may have registered
// after the backup.

// markBackup puts the restored mark into the backup being taken, and takes
// it out of the live database once the backup is done.
func markBackup(e *core.BackupEvent) error {
	if err := setState(e.App, "restored", 1); err != nil {
		return err
	}
	defer func() {
		// should this fail, the next start renews the epoch for nothing:
		// every device resets once, none misses a change
		if _, err := e.App.DB().NewQuery(`DELETE FROM _sync_state WHERE key = 'restored'`).Execute(); err != nil {
			e.App.Logger().Error("sync: the live database keeps the backup's restored mark", "error", err)
		}
	}()
	return e.Next()
}

// renewEpochIfRestored starts a new epoch and marks every install for a
// rebase when the database carries the restored mark.
func renewEpochIfRestored(app core.App) error {
	return app.RunInTransaction(func(tx core.App) error {
		res, err := tx.DB().NewQuery(`DELETE FROM _sync_state WHERE key = 'restored'`).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		tx.Logger().Warn("sync: running on a restored backup; every device gets reset: true on its next pull, and may push once past mutations the restore lost")
		if _, err := tx.DB().NewQuery(`UPDATE _sync_clients SET rebase = 1`).Execute(); err != nil {
			return err
		}
		return setState(tx, "epoch", rand.Int64())
	})
}

func setState(app core.App, key string, value int64) error {
	_, err := app.DB().NewQuery(`INSERT INTO _sync_state (key, value) VALUES ({:k}, {:v})
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`).Bind(dbx.Params{"k": key, "v": value}).Execute()
	return err
}
