package hooks

import (
	"time"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/org"
)

// backupHour is when PocketBase's scheduled backup runs, in org time: at
// night, when nobody is writing and the zip of pb_data (receipts
// included) costs nobody anything.
const backupHour = 3

// legacyBackupCron is the schedule the first migration set, "at 03:00"
// meant in the scheduler's UTC: 11:00 in Beijing, in office hours.
const legacyBackupCron = "0 3 * * *"

// bindBackups keeps the backup schedule (Settings → Backups) at 03:00 in
// org_settings.timezone. PocketBase's scheduler counts in UTC, and moving
// its zone would move every other job, so the schedule is the UTC time of
// 03:00 there (org.DailyCron), set when the server starts, when the org's
// time zone changes and, for daylight saving, every hour. A schedule an
// admin typed (neither the old default nor one Rapport derived) is theirs
// and stays.
func bindBackups(app core.App) {
	bindUntagged(app.OnServe(), StageServe, "rapport.backups.at_start", backupsAtStart)
	bind(app.OnRecordUpdate("org_settings"), StageConsequences, "rapport.org_settings.backups", backupsFollowZone)
	app.Cron().MustAdd("rapport_backup_clock", "5 * * * *", func() {
		if err := nightlyBackups(app, nil, time.Now()); err != nil {
			app.Logger().Error("scheduling backups at night", "error", err)
		}
	})
}

func backupsAtStart(se *core.ServeEvent) error {
	if err := nightlyBackups(se.App, nil, time.Now()); err != nil {
		se.App.Logger().Error("scheduling backups at night", "error", err)
	}
	return se.Next()
}

// backupsFollowZone moves the backup schedule with the org's time zone.
func backupsFollowZone(e *core.RecordEvent) error {
	before := e.Record.Original().GetString("timezone")
	if err := e.Next(); err != nil || before == e.Record.GetString("timezone") {
		return err
	}
	previous, _ := org.Zone(before)
	return nightlyBackups(e.App, previous, time.Now())
}

// nightlyBackups moves a backup schedule Rapport manages to 03:00 in the
// org time zone as of now; previous is the zone it was derived in before
// (nil: the current one).
func nightlyBackups(app core.App, previous *time.Location, now time.Time) error {
	s, err := org.LoadSettings(app)
	if err != nil {
		return err
	}
	settings := app.Settings()
	current, want := settings.Backups.Cron, org.DailyCron(s.Location, backupHour, now)
	if current == want {
		return nil
	}
	managed := current == legacyBackupCron
	for _, zone := range []*time.Location{previous, s.Location} {
		for _, day := range []int{-1, 0, 1} { // around a daylight-saving change
			if zone != nil && current == org.DailyCron(zone, backupHour, now.AddDate(0, 0, day)) {
				managed = true
			}
		}
	}
	if !managed {
		return nil
	}
	changed, err := settings.Clone()
	if err != nil {
		return err
	}
	changed.Backups.Cron = want
	return app.Save(changed)
}
