package sync_test

import (
	"context"
	"testing"
	"time"

	"rapport/internal/actor"
	"rapport/internal/sync"
)

// TestRetention: once the change log is pruned past a device's cursor, the
// device gets reset: true and a fresh snapshot instead of a partial replay.
func TestRetention(t *testing.T) {
	e := newEnv(t)
	rita := e.client("rita", "ritaphone01")
	mustSync(t, rita)
	old := cursorAfter(t, e, "ritatablet1", "")

	// a customer disappears while the devices are away; the log is pruned
	c := e.o.Reload(t, e.o.Customers["rita"])
	actor.AsServer(c)
	if err := e.app.Delete(c); err != nil {
		t.Fatal(err)
	}
	if err := sync.PruneBefore(e.app, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	status, res := e.call("rita", "GET", "/api/sync/pull?clientId=ritatablet1&cursor="+old, nil)
	if status != 200 || res["reset"] != true {
		t.Fatalf("pull with a pruned cursor: %d reset=%v", status, res["reset"])
	}
	if err := rita.Pull(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rita.Store()["customers"][c.Id] != nil {
		t.Fatal("the deleted customer survived the reset")
	}
	e.converged("rita", rita)

	// a fresh cursor is valid again
	fresh := cursorAfter(t, e, "ritatablet1", "")
	if _, res := e.call("rita", "GET", "/api/sync/pull?clientId=ritatablet1&cursor="+fresh, nil); res["reset"] != false {
		t.Fatal("a cursor newer than the pruned horizon was reset")
	}
}

// cursorAfter pages rita's pull from cursor to the end and returns the
// final cursor.
func cursorAfter(t *testing.T, e *env, clientID, cursor string) string {
	t.Helper()
	for {
		status, res := e.call("rita", "GET", "/api/sync/pull?clientId="+clientID+"&cursor="+cursor, nil)
		if status != 200 {
			t.Fatalf("pull: %d %v", status, res)
		}
		cursor = res["cursor"].(string)
		if res["hasMore"] != true {
			return cursor
		}
	}
}
