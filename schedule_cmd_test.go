package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"rapport/internal/testkit"
)

// `rapport schedule --now [--date]` runs the daily job from the shell and
// exits 1 when it fails. The test runs main in a child process.
func TestScheduleCommand(t *testing.T) {
	if dir := os.Getenv("RAPPORT_TEST_SCHEDULE_DIR"); dir != "" {
		os.Args = append([]string{"rapport", "schedule", "--dir", dir}, strings.Fields(os.Getenv("RAPPORT_TEST_SCHEDULE_ARGS"))...)
		main()
		return
	}
	app := testkit.NewApp(t)
	testkit.NewOrg(t, app)
	schedule := func(args string) (int, string) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestScheduleCommand$")
		cmd.Env = append(os.Environ(), "RAPPORT_TEST_SCHEDULE_DIR="+app.DataDir(), "RAPPORT_TEST_SCHEDULE_ARGS="+args)
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
	day := testkit.Day(0)
	if status, out := schedule("--now --date " + day); status != 0 || !strings.Contains(out, "3 created") {
		t.Fatalf("first run: exit %d\n%s", status, out)
	}
	if status, out := schedule("--now --date " + day); status != 0 || !strings.Contains(out, "0 created, 0 moved, 0 missed, 0 cancelled") {
		t.Fatalf("second run: exit %d\n%s", status, out)
	}
	if status, out := schedule("--now --date 2027-13-45"); status != 1 || !strings.Contains(out, "not a day") {
		t.Fatalf("a bad date: exit %d\n%s", status, out)
	}
	if status, out := schedule(""); status != 1 || !strings.Contains(out, "--now") {
		t.Fatalf("no --now: exit %d\n%s", status, out)
	}
}
