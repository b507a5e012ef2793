package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Scheduled backups are zips of pb_data, receipts and photos included, so
// seven of them on the server's own disk take seven times the data. Keep
// the three newest (a bad night can still be undone from the one before);
// a longer history belongs in S3-compatible storage (README, Backups).
// Only the untouched default changes: an admin's own count stays.
func init() {
	m.Register(func(app core.App) error {
		s := app.Settings()
		if s.Backups.CronMaxKeep != 7 {
			return nil
		}
		s.Backups.CronMaxKeep = 3
		return app.Save(s)
	}, nil)
}
