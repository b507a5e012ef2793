package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/org"
)

// bindClock runs PocketBase's cron on the org's clock. Its scheduler counts
// in UTC, so the default backup schedule "0 3 * * *" took a zip of pb_data
// (receipts included) at 11:00 in Beijing, in office hours. With the
// scheduler in org_settings.timezone it runs at 03:00 there, and follows a
// change of time zone (and daylight saving) at once. Rapport's own jobs are
// hourly, so only PocketBase's daily ones (backups, database optimisation)
// move.
func bindClock(app core.App) {
	follow := func(a core.App) {
		s, err := org.LoadSettings(a)
		if err != nil {
			return // not migrated: nothing scheduled runs before serve
		}
		app.Cron().SetTimezone(s.Location)
	}
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		follow(se.App)
		return se.Next()
	})
	app.OnRecordAfterUpdateSuccess("org_settings").BindFunc(func(e *core.RecordEvent) error {
		follow(e.App)
		return e.Next()
	})
}
