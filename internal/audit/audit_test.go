package audit_test

import (
	"bytes"
	"strings"
	"testing"

	"rapport/internal/audit"
	"rapport/internal/testkit"
)

func TestVerifyCommand(t *testing.T) {
	app := testkit.NewApp(t)
	testkit.NewOrg(t, app)
	run := func() (string, error) {
		cmd := audit.Command(app)
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs([]string{"verify"})
		err := cmd.Execute()
		return out.String(), err
	}
	if out, err := run(); err != nil || !strings.Contains(out, "audit chain OK") {
		t.Fatalf("clean chain: %q %v", out, err)
	}
	if _, err := app.DB().NewQuery(`UPDATE audit_log SET actor_superuser = 'me' WHERE seq = 2`).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := run(); err == nil || !strings.Contains(err.Error(), "seq 2") {
		t.Fatalf("tampered chain: %v", err)
	}
}

func TestAppendChains(t *testing.T) {
	app := testkit.NewApp(t)
	for i := range 3 {
		err := audit.Append(app, audit.Entry{Action: "update", Collection: "plans", RecordID: "p1",
			Changes: map[string][2]any{"budget": {int64(i), int64(i + 1)}, "title": {"a", "b <&>"}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := audit.Verify(app); err != nil || n != 3 {
		t.Fatalf("verify: %d %v", n, err)
	}
}
