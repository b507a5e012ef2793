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
	if runAsMain() {
		return
	}
	app := testkit.NewApp(t)
	testkit.NewOrg(t, app)
	verify := func() (int, string) { return mainInChild(t, "audit", "verify", "--dir", app.DataDir()) }
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

// mainArgsEnv carries, to a child process of the test binary, the command
// line its main runs with (separated by the unit separator, U+001F).
const mainArgsEnv = "RAPPORT_TEST_MAIN_ARGS"

// runAsMain runs main with the command line the parent test passed, when
// this process is such a child; the test then returns at once.
func runAsMain() bool {
	args := os.Getenv(mainArgsEnv)
	if args == "" {
		return false
	}
	os.Args = append([]string{"rapport"}, strings.Split(args, "\x1f")...)
	main()
	return true
}

// mainInChild runs `rapport args…` as a child process of the test binary
// (the calling test, which must start with runAsMain) and returns its exit
// status and output: PocketBase ignores a command's error, so only a real
// process shows the status a cron job or CI reads.
func mainInChild(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$")
	cmd.Env = append(os.Environ(), mainArgsEnv+"="+strings.Join(args, "\x1f"))
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
