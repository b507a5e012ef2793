package sync_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"rapport/internal/testkit"
)

// loopDeadline bounds a push or pull that should take well under a second,
// so that a paging or replay loop that never ends fails within seconds,
// naming what looped, instead of at go test's timeout.
const loopDeadline = 20 * time.Second

// withinDeadline runs one push or pull under deadline. A loop in the
// client ends with the context. A server handler that never returns would
// also keep the test server's Close (the test's cleanup) waiting forever:
// then a watchdog ends the test binary with the message, as go test's own
// timeout would, minutes earlier.
func withinDeadline(t testing.TB, what string, deadline time.Duration, run func(ctx context.Context) error) {
	t.Helper()
	message := fmt.Sprintf("%s: %s did not finish within %v: an endless paging or replay loop?", t.Name(), what, deadline)
	watchdog := time.AfterFunc(deadline+2*time.Second, func() { panic(message) })
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	err := run(ctx)
	if err != nil && ctx.Err() != nil {
		t.Fatalf("%s (%v)", message, err) // the watchdog stays armed for a handler that hangs
	}
	watchdog.Stop()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestPushAndPullPagesEnd: pushes in pages of two and incremental pulls in
// pages of one end, whether the mutations are new or replays, and a pull
// from an up-to-date cursor comes back empty.
func TestPushAndPullPagesEnd(t *testing.T) {
	e := newEnv(t)
	acme := e.o.Customers["rita"].Id
	device := e.client("rita", "ritaphone01")
	device.PushLimit, device.PullLimit = 2, 1
	// pages of one from a cursor: both devices first pull the snapshot
	// before any visit exists, so that the visits come as incremental
	// changes, one per page
	pull := func(cursor string) (changes []any, next string, more bool, err error) {
		q := url.Values{"clientId": {"ritaphone02"}, "cursor": {cursor}, "limit": {"1"}}
		status, res := e.call("rita", "GET", "/api/sync/pull?"+q.Encode(), nil)
		if status != 200 {
			return nil, "", false, fmt.Errorf("pull after %q: %d %v", cursor, status, res)
		}
		changes, _ = res["changes"].([]any)
		next, _ = res["cursor"].(string)
		return changes, next, res["hasMore"] == true, nil
	}
	var last string // the cursor the last run of pages ended at
	pages := func(cursor string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			for more := true; more && ctx.Err() == nil; {
				var err error
				if _, cursor, more, err = pull(cursor); err != nil {
					return err
				}
			}
			last = cursor
			return ctx.Err()
		}
	}
	withinDeadline(t, "snapshot pull in pages of 1", loopDeadline, pages(""))
	snapshot := last
	withinDeadline(t, "the device's snapshot pull", loopDeadline, device.Pull)
	var visits []string
	for i := range 7 {
		visits = append(visits, device.Create("visits", map[string]any{"customer": acme, "due_date": testkit.Day(i + 1)}))
	}
	withinDeadline(t, "push in pages of 2, pull in pages of 1", loopDeadline, device.Sync)
	if device.Pending() != 0 || len(device.Store()["visits"]) != len(visits) {
		t.Fatalf("after the sync: %d pending, %d visits in the store, want 0 and %d", device.Pending(), len(device.Store()["visits"]), len(visits))
	}
	e.converged("rita", device)

	// the device lost the acknowledgements: it sends mutations 1..7 again,
	// in pages of 2, and gets each stored result back once
	replayed := 0
	withinDeadline(t, "replay of 7 mutations in pages of 2", loopDeadline, func(ctx context.Context) error {
		for first := 1; first <= len(visits) && ctx.Err() == nil; first += 2 {
			var ms []map[string]any
			for id := first; id <= min(first+1, len(visits)); id++ {
				ms = append(ms, map[string]any{"id": id, "op": "create", "collection": "visits", "recordId": visits[id-1],
					"data": map[string]any{"customer": acme}})
			}
			status, res := e.call("rita", "POST", "/api/sync/push", map[string]any{"clientId": "ritaphone01", "schemaVersion": 1, "mutations": ms})
			if status != 200 || res["lastMutationId"] != float64(len(visits)) {
				return fmt.Errorf("replay of %d..: %d %v", first, status, res)
			}
			for _, r := range res["results"].([]any) {
				if r.(map[string]any)["replayed"] == true {
					replayed++
				}
			}
		}
		return ctx.Err()
	})
	if n, _ := e.app.CountRecords("visits"); replayed != len(visits) || n != int64(len(visits)) {
		t.Fatalf("%d of %d replays answered as replayed, %d visits stored", replayed, len(visits), n)
	}

	withinDeadline(t, "incremental pull in pages of 1", loopDeadline, pages(snapshot))
	changes, _, more, err := pull(last)
	if err != nil || len(changes) != 0 || more {
		t.Fatalf("a pull from the up-to-date cursor %s: %d changes %v, hasMore %v, %v; want nothing", last, len(changes), changes, more, err)
	}
}
