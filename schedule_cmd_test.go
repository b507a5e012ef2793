package main

import (
	"strings"
	"testing"

	"rapport/internal/testkit"
)

// `rapport schedule --now [--date]` runs the daily job from the shell and
// exits 1 when it fails. The test runs main in a child process.
func TestScheduleCommand(t *testing.T) {
	if runAsMain() {
		return
	}
	app := testkit.NewApp(t)
	testkit.NewOrg(t, app)
	schedule := func(args string) (int, string) {
		return mainInChild(t, append([]string{"schedule", "--dir", app.DataDir()}, strings.Fields(args)...)...)
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
