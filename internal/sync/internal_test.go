package sync

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/testkit"
	"rapport/internal/violation"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []cursor{{Seq: 0}, {Seq: 42}, {Epoch: 8141, Seq: 42}, {Seq: 7, Snap: true}, {Epoch: 5, Seq: 7, Snap: true, Coll: 3, After: "abc123"},
		{Epoch: 5, Seq: 7, Rejected: 12}, {Epoch: -3, Seq: 7, Snap: true, Coll: 1, After: "x", Rejected: 9}} {
		got, ok := parseCursor(c.String())
		if !ok || got != c {
			t.Errorf("%+v → %q → %+v %v", c, c.String(), got, ok)
		}
	}
	// cursors from before epochs are of the first epoch
	for raw, want := range map[string]cursor{"1:42": {Seq: 42}, "1:7:3:abc123": {Seq: 7, Snap: true, Coll: 3, After: "abc123"},
		"2:5:7": {Epoch: 5, Seq: 7}, "2:5:7:3:abc123": {Epoch: 5, Seq: 7, Snap: true, Coll: 3, After: "abc123"}} {
		if got, ok := parseCursor(base64.RawURLEncoding.EncodeToString([]byte(raw))); !ok || got != want {
			t.Errorf("%q → %+v %v", raw, got, ok)
		}
	}
	for _, bad := range []string{"", "garbage", "MTp4", "Mjo1", "Mg", "Mjp4OjU", b64("3:5:7"), b64("3:5:-1:7"), b64("3:5:x:7")} {
		if _, ok := parseCursor(bad); ok {
			t.Errorf("%q parsed as a cursor", bad)
		}
	}
}

// A busy database or a cancelled request stops the push (503, retry); a
// rule or validation error is the mutation's rejection.
func TestTransient(t *testing.T) {
	for err, want := range map[error]bool{
		errors.New("database is locked (5) (SQLITE_BUSY)"):                         true,
		fmt.Errorf("save: %w", context.Canceled):                                   true,
		violation.New("amount", "plan_budget_exceeded", "over budget"):             false,
		errors.New("validation_required: cannot be blank"):                         false,
		fmt.Errorf("wrapped: %w", violation.Forbidden("owner", "forbidden", "no")): false,
	} {
		if isTransient(err) != want {
			t.Errorf("isTransient(%v) = %v", err, !want)
		}
	}
}

// Two pushes of a restored install that both read its lastMutationId before
// either rebased: one rebases and reports the ids between as lost, the
// other sees where it went; the mark is spent.
func TestRebaseOnce(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	_, err := app.DB().NewQuery(`INSERT INTO _sync_clients (id, user, last_mutation_id, created, seen, rebase)
		VALUES ('ritaphone01', {:u}, 1, 0, 0, 1)`).Bind(dbx.Params{"u": o.Users["rita"].Id}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	e := &core.RequestEvent{App: app, Auth: o.Users["rita"]}
	for i, step := range []struct {
		last, id, want int64
		rebased        bool
	}{{1, 5, 4, true}, {1, 5, 4, false}, {4, 9, 4, false}} {
		if got, rebased, err := rebase(e, "ritaphone01", step.last, step.id); got != step.want || rebased != step.rebased || err != nil {
			t.Errorf("rebase %d from %d to %d: %d %v %v, want %d %v", i+1, step.last, step.id, got, rebased, err, step.want, step.rebased)
		}
	}
	var lost int
	if err := app.DB().NewQuery(`SELECT COUNT(*) FROM _sync_mutations WHERE client = 'ritaphone01' AND status = 'lost' AND id BETWEEN 2 AND 4`).Row(&lost); err != nil || lost != 3 {
		t.Fatalf("%d stored lost results, want 3 (%v)", lost, err)
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
