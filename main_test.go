package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/archive"

	"rapport/internal/testkit"
)

// Scheduled backups are on for a new installation, and a backup restores
// with every record in it.
func TestBackupRestoresEveryRecord(t *testing.T) {
	app := testkit.NewApp(t)
	testkit.NewOrg(t, app)

	if app.Settings().Backups.Cron == "" {
		t.Fatal("scheduled backups are off by default")
	}

	collections := []string{"users", "teams", "customers", "tier_policies", "org_settings", "audit_log"}
	want := map[string]int64{}
	for _, c := range collections {
		n, err := app.CountRecords(c)
		if err != nil {
			t.Fatal(err)
		}
		want[c] = n
	}
	if want["customers"] == 0 {
		t.Fatal("nothing to back up")
	}

	if err := app.CreateBackup(context.Background(), "nightly.zip"); err != nil {
		t.Fatal(err)
	}
	restored := t.TempDir()
	if err := archive.Extract(filepath.Join(app.DataDir(), "backups", "nightly.zip"), restored); err != nil {
		t.Fatal(err)
	}
	copyApp, err := tests.NewTestApp(restored)
	if err != nil {
		t.Fatal(err)
	}
	defer copyApp.Cleanup()
	for _, c := range collections {
		if n, err := copyApp.CountRecords(c); err != nil || n != want[c] {
			t.Errorf("%s: restored %d records (err %v), want %d", c, n, err, want[c])
		}
	}
}
