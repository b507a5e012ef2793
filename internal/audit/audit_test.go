package audit_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"rapport/internal/audit"
	"rapport/internal/testkit"
)

func TestVerifyCommand(t *testing.T) {
	app := testkit.NewApp(t)
	testkit.NewOrg(t, app)
	var summary bytes.Buffer
	run := func(args ...string) (string, error) {
		cmd := audit.Command(app)
		var out bytes.Buffer
		cmd.SetOut(&out) // the head alone on stdout, for scripts
		summary.Reset()
		cmd.SetErr(&summary)
		cmd.SetArgs(append([]string{"verify"}, args...))
		err := cmd.Execute()
		return out.String(), err
	}
	out, err := run()
	if err != nil || !strings.Contains(summary.String(), "audit chain OK") {
		t.Fatalf("clean chain: %q %q %v", out, summary.String(), err)
	}
	// what stdout holds is what --anchor takes: HEAD=$(rapport audit verify)
	anchor := strings.TrimSpace(out)
	if out, err := run("--anchor", anchor); err != nil || strings.TrimSpace(out) != anchor {
		t.Fatalf("the head as anchor: %q %v", out, err)
	}

	// the newest entry deleted: the chain still holds, the anchor does not
	if _, err := app.DB().NewQuery(`DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)`).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := run(); err != nil {
		t.Fatalf("a shorter chain verifies on its own: %v", err)
	}
	if _, err := run("--anchor", anchor); err == nil || !strings.Contains(err.Error(), "deleted from the end") {
		t.Fatalf("the anchored entry deleted: %v", err)
	}
	if _, err := run("--anchor", "1:0123abcd"); err == nil || !strings.Contains(err.Error(), "rewritten") {
		t.Fatalf("an anchor whose hash differs: %v", err)
	}
	if _, err := run("--anchor", "twelve"); err == nil || !strings.Contains(err.Error(), "seq:hash") {
		t.Fatalf("a malformed anchor: %v", err)
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
	seeded, err := audit.Verify(app) // the seeded defaults' entries
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		err := audit.Append(app, audit.Entry{Action: "update", Collection: "plans", RecordID: "p1",
			Changes: map[string][2]any{"budget": {int64(i), int64(i + 1)}, "title": {"a", "b <&>"}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := audit.Verify(app); err != nil || n != seeded+3 {
		t.Fatalf("verify: %d %v", n, err)
	}
	// ids follow the chain (each insert appends to the id index)
	var rows []struct {
		Id  string `db:"id"`
		Seq int64  `db:"seq"`
	}
	if err := app.DB().Select("id", "seq").From("audit_log").OrderBy("seq").All(&rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if want := fmt.Sprintf("%015d", r.Seq); r.Id != want {
			t.Errorf("entry %d has id %q, want %q", r.Seq, r.Id, want)
		}
	}
}
