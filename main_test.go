package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// `rapport audit verify` exits 1 on a broken chain, so that a cron job or CI
// reading the status notices (PocketBase ignores a command's error). The
// test runs main in a child process of the test binary.
func TestAuditVerifyExitStatus(t *testing.T) {
	if dir := os.Getenv("RAPPORT_TEST_MAIN_DIR"); dir != "" {
		os.Args = []string{"rapport", "audit", "verify", "--dir", dir}
		main()
		return
	}
	app := testkit.NewApp(t)
	testkit.NewOrg(t, app)
	verify := func() (int, string) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAuditVerifyExitStatus$")
		cmd.Env = append(os.Environ(), "RAPPORT_TEST_MAIN_DIR="+app.DataDir())
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if status, out := verify(); status != 0 || !strings.Contains(out, "audit chain OK") {
		t.Fatalf("an intact chain: exit %d\n%s", status, out)
	}
	if _, err := app.DB().NewQuery(`DELETE FROM audit_log WHERE seq = 2`).Execute(); err != nil {
		t.Fatal(err)
	}
	if status, out := verify(); status != 1 || !strings.Contains(out, "broken at seq 3") {
		t.Fatalf("an entry deleted: exit %d\n%s", status, out)
	}
}
