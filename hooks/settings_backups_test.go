package hooks_test

import (
	"testing"
	"time"

	"rapport/internal/org"
	"rapport/internal/testkit"
)

// TestBackupsRunAtNightInOrgTime: the backup schedule is 03:00 in
// org_settings.timezone written in the scheduler's UTC (the old default
// "0 3 * * *" was 11:00 in Beijing), follows a change of time zone, keeps
// an admin's own schedule, and keeps 3 backups.
func TestBackupsRunAtNightInOrgTime(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	if b := app.Settings().Backups; b.Cron != "0 3 * * *" || b.CronMaxKeep != 3 {
		t.Errorf("backups as migrated: cron %q keep %d, want the old 0 3 * * * and 3", b.Cron, b.CronMaxKeep)
	}
	testkit.NewClient(t, o) // serving schedules them
	if got := app.Settings().Backups.Cron; got != "0 19 * * *" {
		t.Errorf("backups at %q, want 0 19 * * * (03:00 in Shanghai)", got)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	o.SetOrg(t, map[string]any{"timezone": "Europe/Berlin"})
	if got, want := app.Settings().Backups.Cron, org.DailyCron(berlin, 3, time.Now()); got != want {
		t.Errorf("after the org moved to Berlin, backups at %q, want %q", got, want)
	}
	own := app.Settings()
	own.Backups.Cron = "30 1 * * *"
	if err := app.Save(own); err != nil {
		t.Fatal(err)
	}
	o.SetOrg(t, map[string]any{"timezone": "Asia/Shanghai"})
	if got := app.Settings().Backups.Cron; got != "30 1 * * *" {
		t.Errorf("an admin's own schedule became %q", got)
	}
}
