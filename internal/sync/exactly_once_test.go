package sync_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	gosync "sync"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/syncclient"
)

// lossy loses the response of the first n requests after the server acted.
type lossy struct{ n int }

func (l *lossy) Do(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil || l.n == 0 {
		return resp, err
	}
	l.n--
	discard(resp)
	return nil, errFaulty
}

func TestExactlyOnce(t *testing.T) {
	t.Run("response lost after commit", func(t *testing.T) {
		e := newEnv(t)
		acme := e.o.Customers["rita"].Id
		rita := e.client("rita", "ritaphone01")
		rita.Do = (&lossy{n: 1}).Do
		v := rita.Create("visits", map[string]any{"customer": acme})
		rita.Update("visits", v, map[string]any{"notes": "one"})
		rita.Create("plans", plan(e.o.Customers["rob"].Id)) // rejected: not_owner
		if err := rita.Push(context.Background()); !errors.Is(err, syncclient.ErrRetry) {
			t.Fatalf("first push: %v", err)
		}
		if rita.Pending() != 3 {
			t.Fatalf("pending after a lost response: %d", rita.Pending())
		}
		mustSync(t, rita)
		out := rita.Outcomes()
		if out[1].Status != "applied" || out[2].Status != "applied" || out[3].Status != "rejected" || !out[1].Replayed {
			t.Fatalf("outcomes after the retry: %+v", out)
		}
		saved, _ := e.app.FindRecordById("visits", v)
		if n, _ := e.app.CountRecords("visits"); n != 1 || saved.GetInt("version") != 2 {
			t.Fatalf("%d visits, version %d: something ran twice", n, saved.GetInt("version"))
		}
		if len(rita.Rejected()) != 1 {
			t.Fatalf("rejections: %+v", rita.Rejected())
		}
	})

	t.Run("duplicate pushes at once", func(t *testing.T) {
		e := newEnv(t)
		acme := e.o.Customers["rita"].Id
		var muts []map[string]any
		muts = append(muts, map[string]any{"id": 1, "op": "create", "collection": "visits", "recordId": "v00000000000000", "data": map[string]any{"customer": acme}})
		for i := 2; i <= 30; i++ {
			muts = append(muts, map[string]any{"id": i, "op": "update", "collection": "visits", "recordId": "v00000000000000",
				"data": map[string]any{"notes": fmt.Sprint(i)}})
		}
		body := map[string]any{"clientId": "ritaphone01", "mutations": muts}
		var wg gosync.WaitGroup
		responses := make([]map[string]any, 3)
		for i := range responses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, res := e.call("rita", "POST", "/api/sync/push", body)
				if status != 200 {
					t.Errorf("concurrent push: %d %v", status, res)
				}
				responses[i] = res
			}()
		}
		wg.Wait()
		fresh := map[float64]int{}
		for _, res := range responses {
			for _, r := range res["results"].([]any) {
				r := r.(map[string]any)
				if r["replayed"] != true {
					fresh[r["id"].(float64)]++
				}
			}
		}
		for id := 1; id <= 30; id++ {
			if fresh[float64(id)] != 1 {
				t.Errorf("mutation %d ran %d times", id, fresh[float64(id)])
			}
		}
		if v, _ := e.app.FindRecordById("visits", "v00000000000000"); v.GetInt("version") != 30 {
			t.Fatalf("version %d after 1 create and 29 updates", v.GetInt("version"))
		}
	})

	t.Run("reordered pushes", func(t *testing.T) {
		e := newEnv(t)
		acme := e.o.Customers["rita"].Id
		m := func(id int) map[string]any {
			return map[string]any{"id": id, "op": "create", "collection": "visits", "recordId": fmt.Sprintf("v%014d", id), "data": map[string]any{"customer": acme}}
		}
		push := func(ids ...int) (int, map[string]any) {
			var muts []map[string]any
			for _, id := range ids {
				muts = append(muts, m(id))
			}
			return e.call("rita", "POST", "/api/sync/push", map[string]any{"clientId": "ritaphone01", "mutations": muts})
		}
		if status, _ := push(1, 2); status != 200 {
			t.Fatal(status)
		}
		if status, res := push(5, 6); status != 409 || res["expected"].(float64) != 3 {
			t.Fatalf("a later push first: %d %v", status, res)
		}
		if status, res := push(3, 4, 5, 6); status != 200 || res["lastMutationId"].(float64) != 6 {
			t.Fatalf("in order: %d %v", status, res)
		}
		status, res := push(1, 2, 3) // a late copy of an old push
		if status != 200 || res["lastMutationId"].(float64) != 6 {
			t.Fatalf("late copy: %d %v", status, res)
		}
		for _, r := range res["results"].([]any) {
			if r.(map[string]any)["replayed"] != true {
				t.Fatalf("late copy ran again: %v", r)
			}
		}
		if n, _ := e.app.CountRecords("visits"); n != 6 {
			t.Fatalf("%d visits, want 6", n)
		}
	})
}

// TestTransientFailure: when the database is busy part-way, the push stops
// with 503 and Retry-After; what came before took effect, the rest runs on
// the retry, nothing twice.
func TestTransientFailure(t *testing.T) {
	e := newEnv(t)
	acme := e.o.Customers["rita"].Id
	busy := true
	e.app.OnRecordCreateExecute("visits").BindFunc(func(re *core.RecordEvent) error {
		if busy && re.Record.Id == fmt.Sprintf("v%014d", 3) {
			return errors.New("database is locked (5) (SQLITE_BUSY)")
		}
		return re.Next()
	})
	var muts []map[string]any
	for i := 1; i <= 5; i++ {
		muts = append(muts, map[string]any{"id": i, "op": "create", "collection": "visits", "recordId": fmt.Sprintf("v%014d", i), "data": map[string]any{"customer": acme}})
	}
	body := map[string]any{"clientId": "ritaphone01", "mutations": muts}
	status, res := e.call("rita", "POST", "/api/sync/push", body)
	if status != 503 || e.header.Get("Retry-After") == "" || res["lastMutationId"].(float64) != 2 || len(res["results"].([]any)) != 2 {
		t.Fatalf("busy database: %d %v", status, res)
	}
	busy = false
	status, res = e.call("rita", "POST", "/api/sync/push", body)
	if status != 200 || res["lastMutationId"].(float64) != 5 {
		t.Fatalf("retry: %d %v", status, res)
	}
	if n, _ := e.app.CountRecords("visits"); n != 5 {
		t.Fatalf("%d visits after the retry, want 5", n)
	}
}

// TestBusyOnFirstContact: a database error outside a mutation (here, when a
// new install registers) is 503 with Retry-After, so the app retries, and
// the retry works.
func TestBusyOnFirstContact(t *testing.T) {
	e := newEnv(t)
	failing := `CREATE TRIGGER busy BEFORE INSERT ON _sync_clients BEGIN SELECT RAISE(ABORT, 'database is locked'); END`
	if _, err := e.app.DB().NewQuery(failing).Execute(); err != nil {
		t.Fatal(err)
	}
	push := map[string]any{"clientId": "ritaphone09", "mutations": []any{}}
	if status, res := e.call("rita", "POST", "/api/sync/push", push); status != 503 || e.header.Get("Retry-After") == "" {
		t.Fatalf("first push on a busy database: %d %v", status, res)
	}
	if status, res := e.call("rita", "GET", "/api/sync/pull?clientId=ritaphone09", nil); status != 503 || e.header.Get("Retry-After") == "" {
		t.Fatalf("first pull on a busy database: %d %v", status, res)
	}
	if _, err := e.app.DB().NewQuery(`DROP TRIGGER busy`).Execute(); err != nil {
		t.Fatal(err)
	}
	if status, res := e.call("rita", "GET", "/api/sync/pull?clientId=ritaphone09", nil); status != 200 {
		t.Fatalf("the retry: %d %v", status, res)
	}
}
