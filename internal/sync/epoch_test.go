package sync_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strconv"
	gosync "sync"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/archive"

	"rapport/hooks"
	"rapport/internal/dbconn"
	"rapport/internal/sync"
)

// TestCursorAheadResets: a cursor beyond the newest change the server holds
// was not issued by it (a hand-made one, or one from before a restore):
// reset: true, and the changes after the reset reach the device.
func TestCursorAheadResets(t *testing.T) {
	e := newEnv(t)
	ahead := base64.RawURLEncoding.EncodeToString([]byte("1:99999999"))
	status, res := e.call("rita", "GET", "/api/sync/pull?clientId=ritaphone01&cursor="+ahead, nil)
	if status != 200 || res["reset"] != true || res["cursor"] == ahead || len(res["changes"].([]any)) == 0 {
		t.Fatalf("pull with a cursor ahead of the log: %d reset=%v cursor=%v changes=%v", status, res["reset"], res["cursor"], res["changes"])
	}
	cursor := cursorAfter(t, e, "ritaphone01", ahead)

	status, visit := e.call("rita", "POST", "/api/collections/visits/records", map[string]any{"customer": e.o.Customers["rita"].Id})
	if status != 200 {
		t.Fatalf("REST create: %d %v", status, visit)
	}
	_, res = e.call("rita", "GET", "/api/sync/pull?clientId=ritaphone01&cursor="+cursor, nil)
	changes := res["changes"].([]any)
	if res["reset"] != false || len(changes) != 1 || changes[0].(map[string]any)["recordId"] != visit["id"] {
		t.Fatalf("the change after the reset: reset=%v changes=%v", res["reset"], changes)
	}
}

// TestOldCursorFormat: cursors issued before epochs ("1:<seq>") keep
// working on a server that was never restored.
func TestOldCursorFormat(t *testing.T) {
	e := newEnv(t)
	old := base64.RawURLEncoding.EncodeToString([]byte("1:" + strconv.FormatInt(lastSeq(t, e.app), 10)))
	status, visit := e.call("rita", "POST", "/api/collections/visits/records", map[string]any{"customer": e.o.Customers["rita"].Id})
	if status != 200 {
		t.Fatalf("REST create: %d %v", status, visit)
	}
	status, res := e.call("rita", "GET", "/api/sync/pull?clientId=ritaphone01&cursor="+old, nil)
	changes := res["changes"].([]any)
	if status != 200 || res["reset"] != false || len(changes) != 1 || changes[0].(map[string]any)["recordId"] != visit["id"] {
		t.Fatalf("pull with a pre-epoch cursor: %d reset=%v changes=%v", status, res["reset"], changes)
	}
}

// TestRestoredBackupResets: after a PocketBase backup is restored, new
// writes hand out again the seqs of the changes the restore lost. A device
// whose cursor is from the lost history must reset, not skip the new
// changes and keep the lost ones; a restart without a restore resets no one.
func TestRestoredBackupResets(t *testing.T) {
	e := newEnv(t)
	acme := e.o.Customers["rita"].Id
	rita := e.client("rita", "ritaphone01")
	mustSync(t, rita)
	if err := e.app.CreateBackup(context.Background(), "nightly.zip"); err != nil {
		t.Fatal(err)
	}
	for range 2 { // lost by the restore
		if status, res := e.call("rita", "POST", "/api/collections/visits/records", map[string]any{"customer": acme}); status != 200 {
			t.Fatalf("REST create: %d %v", status, res)
		}
	}
	mustSync(t, rita)
	tablet := cursorAfter(t, e, "ritatablet1", "")

	// the live database restarted: no reset
	live := restart(t, e, e.app.DataDir())
	if _, res := live.call("rita", "GET", "/api/sync/pull?clientId=ritatablet1&cursor="+tablet, nil); res["reset"] != false {
		t.Fatal("a restart without a restore reset the device")
	}

	restored := t.TempDir()
	if err := archive.Extract(filepath.Join(e.app.DataDir(), "backups", "nightly.zip"), restored); err != nil {
		t.Fatal(err)
	}
	r := restart(t, e, restored)
	for range 3 { // the log passes the devices' cursors again
		if status, res := r.call("rita", "POST", "/api/collections/visits/records", map[string]any{"customer": acme}); status != 200 {
			t.Fatalf("REST create after the restore: %d %v", status, res)
		}
	}
	if lastSeq(t, r.app) <= lastSeq(t, e.app) {
		t.Fatal("the restored log is not past the lost one: the test proves nothing")
	}
	if status, res := r.call("rita", "GET", "/api/sync/pull?clientId=ritatablet1&cursor="+tablet, nil); status != 200 || res["reset"] != true {
		t.Fatalf("a cursor from before the restore: %d reset=%v", status, res["reset"])
	}
	rita.BaseURL = r.url
	mustSync(t, rita)
	r.converged("rita", rita)
	fresh := cursorAfter(t, r, "ritatablet1", "")
	if _, res := r.call("rita", "GET", "/api/sync/pull?clientId=ritatablet1&cursor="+fresh, nil); res["reset"] != false {
		t.Fatal("a cursor issued after the restore was reset")
	}
}

// TestRestoredBackupRebases: a restore rolls back each install's
// lastMutationId, while the app already dropped the mutations acknowledged
// since. An install known before the restore, or registered after the
// backup (the restore lost its row), may start once past the lost ids (also
// with concurrent copies of that push), which are reported lost — to every
// copy — and which the reference client re-queues; then, and on a database
// never restored, a gap is 409.
func TestRestoredBackupRebases(t *testing.T) {
	e := newEnv(t)
	acme := e.o.Customers["rita"].Id
	push := func(e *env, client string, ids ...int) (int, map[string]any) {
		t.Helper()
		var muts []map[string]any
		for _, id := range ids {
			muts = append(muts, map[string]any{"id": id, "op": "create", "collection": "visits",
				"recordId": fmt.Sprintf("v%s%07d", client[4:], id), "data": map[string]any{"customer": acme}})
		}
		return e.call("rita", "POST", "/api/sync/push", map[string]any{"clientId": client, "mutations": muts})
	}
	rita := e.client("rita", "ritaphone01")
	rita.Create("visits", map[string]any{"customer": acme})
	mustSync(t, rita)
	for _, c := range []string{"ritawatch01", "ritapad0001"} {
		if status, res := push(e, c, 1); status != 200 {
			t.Fatalf("%s before the backup: %d %v", c, status, res)
		}
	}
	if err := e.app.CreateBackup(context.Background(), "nightly.zip"); err != nil {
		t.Fatal(err)
	}
	// acknowledged, then lost by the restore
	lost := []string{rita.Create("visits", map[string]any{"customer": acme}), rita.Create("visits", map[string]any{"customer": acme})}
	rita.Update("visits", lost[0], map[string]any{"notes": "typed after the backup"})
	mustSync(t, rita)
	if status, res := push(e, "ritapad0001", 2, 3); status != 200 {
		t.Fatalf("pad after the backup: %d %v", status, res)
	}
	if status, res := push(e, "ritatablet1", 1, 2); status != 200 {
		t.Fatalf("tablet registered after the backup: %d %v", status, res)
	}

	// a restart without a restore rebases no one
	live := restart(t, e, e.app.DataDir())
	if status, res := push(live, "ritapad0001", 5); status != 409 || res["expected"].(float64) != 4 {
		t.Fatalf("a gap after a restart without a restore: %d %v", status, res)
	}
	if status, res := push(live, "ritawatch02", 2); status != 409 || res["expected"].(float64) != 1 {
		t.Fatalf("a new install's gap on a database never restored: %d %v", status, res)
	}

	restored := t.TempDir()
	if err := archive.Extract(filepath.Join(e.app.DataDir(), "backups", "nightly.zip"), restored); err != nil {
		t.Fatal(err)
	}
	r := restart(t, e, restored)

	// the phone goes on from id 5: ids 2 to 4 are gone, reported lost, and
	// the client pushes them again as 6 to 8
	rita.BaseURL = r.url
	v := rita.Create("visits", map[string]any{"customer": acme})
	mustSync(t, rita)
	out := rita.Outcomes()
	for id := int64(2); id <= 4; id++ {
		if out[id].Status != "lost" {
			t.Errorf("mutation %d after the restore: %+v, want lost", id, out[id])
		}
	}
	for id := int64(5); id <= 8; id++ {
		if out[id].Status != "applied" || out[id].Replayed {
			t.Errorf("mutation %d after the restore: %+v, want applied", id, out[id])
		}
	}
	if rita.Pending() != 0 || rita.Issued() != 8 {
		t.Fatalf("after the first push after the restore: %d pending, %d issued", rita.Pending(), rita.Issued())
	}
	for _, id := range append(lost, v) {
		if _, err := r.app.FindRecordById("visits", id); err != nil {
			t.Fatalf("visit %s after the restore: %v", id, err)
		}
	}
	if again, _ := r.app.FindRecordById("visits", lost[0]); again.GetString("notes") != "typed after the backup" {
		t.Fatalf("the re-queued update: notes %q", again.GetString("notes"))
	}
	r.converged("rita", rita)
	// a replay of a lost id answers lost
	if status, res := push(r, "ritaphone01", 3); status != 200 || res["results"].([]any)[0].(map[string]any)["status"] != "lost" {
		t.Fatalf("a replay of a lost id: %d %v", status, res)
	}
	// the rebase is spent: a second jump is out of order
	if status, res := push(r, "ritaphone01", 10); status != 409 || res["code"] != "out_of_order" || res["expected"].(float64) != 9 {
		t.Fatalf("a second jump: %d %v", status, res)
	}

	// three copies of the pad's first push at once: each mutation runs once
	var wg gosync.WaitGroup
	fresh := map[float64]int{}
	for range 3 {
		wg.Go(func() {
			status, res := push(r, "ritapad0001", 4, 5, 6, 7, 8)
			r.mu.Lock()
			defer r.mu.Unlock()
			if status != 200 || res["lastMutationId"].(float64) != 8 {
				t.Errorf("concurrent first pushes: %d %v", status, res)
				return
			}
			results := res["results"].([]any)
			for i, id := range []float64{2, 3} {
				if x := results[i].(map[string]any); x["id"] != id || x["status"] != "lost" {
					t.Errorf("concurrent first pushes: result %d is %v, want %v lost", i, x, id)
				}
			}
			for _, x := range results {
				if x := x.(map[string]any); x["replayed"] != true && x["status"] == "applied" {
					fresh[x["id"].(float64)]++
				}
			}
		})
	}
	wg.Wait()
	for id := 4; id <= 8; id++ {
		if fresh[float64(id)] != 1 {
			t.Errorf("pad mutation %d ran %d times", id, fresh[float64(id)])
		}
	}

	// pushed in order first: the mark is gone
	if status, res := push(r, "ritawatch01", 2); status != 200 {
		t.Fatalf("watch in order: %d %v", status, res)
	}
	if status, res := push(r, "ritawatch01", 4); status != 409 || res["expected"].(float64) != 3 {
		t.Fatalf("a gap after an in-order push: %d %v", status, res)
	}
	// registered after the backup: unknown to the restored database, it
	// goes on from id 3 once, then strict
	if status, res := push(r, "ritatablet1", 3); status != 200 || res["lastMutationId"].(float64) != 3 || len(res["results"].([]any)) != 3 {
		t.Fatalf("an install the restore forgot: %d %v", status, res)
	}
	if status, res := push(r, "ritatablet1", 5); status != 409 || res["expected"].(float64) != 4 {
		t.Fatalf("its second jump: %d %v", status, res)
	}
}

// restart serves a copy of the data dir dir, as the server starting on it.
func restart(t *testing.T, e *env, dir string) *env {
	t.Helper()
	app, err := tests.NewTestAppWithConfig(core.BaseAppConfig{DataDir: dir, EncryptionEnv: "pb_test_env", DBConnect: dbconn.Connect})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	hooks.Register(app)
	sync.Register(app)
	return serve(t, app, e.o)
}

// lastSeq is the last seq the change log handed out.
func lastSeq(t *testing.T, app core.App) int64 {
	t.Helper()
	var seq int64
	if err := app.DB().NewQuery("SELECT seq FROM sqlite_sequence WHERE name = '_sync_changes'").Row(&seq); err != nil {
		t.Fatal(err)
	}
	return seq
}
