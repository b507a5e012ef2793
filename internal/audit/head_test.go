package audit_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/audit"
	"rapport/internal/testkit"
	"rapport/internal/txstate"
)

// A transaction reads the chain's head once and goes on from its own
// entries; one rolled back leaves nothing behind, not even in memory: the
// next transaction chains onto the last committed entry.
func TestHeadPerTransaction(t *testing.T) {
	app := testkit.NewApp(t)
	entry := func(id string) audit.Entry {
		return audit.Entry{Action: "create", Collection: "customers", RecordID: id, Changes: map[string][2]any{"name": {nil, id}}}
	}
	appendAll := func(tx core.App, ids ...string) error {
		for _, id := range ids {
			if err := audit.Append(tx, entry(id)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := app.RunInTransaction(func(tx core.App) error { return appendAll(tx, "a1", "a2", "a3") }); err != nil {
		t.Fatal(err)
	}
	undo := errors.New("undo")
	if err := app.RunInTransaction(func(tx core.App) error {
		if err := appendAll(tx, "b1", "b2"); err != nil {
			return err
		}
		return undo
	}); !errors.Is(err, undo) {
		t.Fatal(err)
	}
	if err := appendAll(app, "c1"); err != nil {
		t.Fatal(err)
	}
	if err := app.RunInTransaction(func(tx core.App) error { return appendAll(tx, "d1", "d2") }); err != nil {
		t.Fatal(err)
	}

	var got []string
	for _, r := range storedRows(t, app) {
		if r.Collection == "customers" && r.Action == "create" && len(r.RecordID) == 2 {
			got = append(got, r.RecordID)
		}
	}
	if want := "[a1 a2 a3 c1 d1 d2]"; fmt.Sprint(got) != want {
		t.Errorf("entries %v, want %s", got, want)
	}
	if _, err := audit.Verify(app); err != nil {
		t.Errorf("verify: %v", err)
	}
	if n := txstate.Live(); n != 0 {
		t.Errorf("%d ended transactions still hold state", n)
	}
}
