package schedule

import (
	"time"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/org"
)

// Cron job ids, as the dashboard's Crons page and POST /api/crons/{id} name them.
const (
	CronSchedule   = "rapport_schedule"
	CronComplaints = "rapport_complaints"
)

// runHour is the org-local hour the daily job runs at.
const runHour = 2

// Register adds the cron jobs to app, and moves the daily job to 02:00
// org time once the settings can be read and whenever they change:
// PocketBase's cron runs in UTC.
func Register(app core.App) {
	app.Cron().MustAdd(CronComplaints, "*/5 * * * *", func() {
		if n, err := Breaches(app, time.Now()); err != nil {
			app.Logger().Error("rapport_complaints failed", "error", err, "breached", n)
		}
	})
	addDaily(app)
	app.OnBootstrap().BindFunc(func(e *core.BootstrapEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		addDaily(app)
		return nil
	})
	app.OnRecordAfterUpdateSuccess("org_settings").BindFunc(func(e *core.RecordEvent) error {
		addDaily(app)
		return e.Next()
	})
}

// addDaily (re)registers the daily job at 02:00 in the org time zone.
func addDaily(app core.App) {
	expr := "0 18 * * *" // 02:00 in Asia/Shanghai, when the settings cannot be read
	if app.IsBootstrapped() {
		if s, err := org.LoadSettings(app); err == nil {
			expr = org.DailyCron(s.Location, runHour, time.Now())
		}
	}
	app.Cron().MustAdd(CronSchedule, expr, func() {
		res, err := Run(app, "")
		if err != nil {
			app.Logger().Error("rapport_schedule failed", "error", err, "done", res.String())
			return
		}
		app.Logger().Info("rapport_schedule", "result", res.String())
		addDaily(app) // a daylight-saving change moves 02:00 local in UTC
	})
}
