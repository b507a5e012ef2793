package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"rapport/internal/sync"
	"rapport/internal/syncclient"
)

// pushRaw sends body to the push as user name; chunked hides its length
// from the server until it has read it.
func (e *env) pushRaw(name string, body []byte, chunked bool) (int, map[string]any) {
	e.t.Helper()
	var r io.Reader = bytes.NewReader(body)
	if chunked {
		r = io.MultiReader(r) // no Content-Length
	}
	res := e.rest.Send(name, http.MethodPost, "/api/sync/push", "application/json", r)
	return res.Status, res.JSON()
}

// paddedPush is a push of one visit create whose body takes exactly size
// bytes, padded with a key the server ignores.
func paddedPush(t *testing.T, client, customer string, id, size int) []byte {
	t.Helper()
	head := fmt.Sprintf(`{"clientId":%q,"mutations":[{"id":%d,"op":"create","collection":"visits","recordId":"v%014d","data":{"customer":%q}}],"padding":"`, client, id, id, customer)
	pad := size - len(head) - len(`"}`)
	if pad < 0 {
		t.Fatal("size too small")
	}
	return []byte(head + strings.Repeat("x", pad) + `"}`)
}

// TestPushBodyLimit: the push takes bodies up to exactly 32 MB, counted
// once (PocketBase's router used to count a push twice and refuse it from
// about 20 MB), and refuses a larger one with 413 push_too_large, nothing
// applied, whether or not the client announced its length.
func TestPushBodyLimit(t *testing.T) {
	e := newEnv(t)
	acme := e.o.Customers["rita"].Id
	for i, size := range []int{30 << 20, 32 << 20} {
		status, res := e.pushRaw("rita", paddedPush(t, "ritaphone01", acme, i+1, size), i == 1)
		if status != 200 || res["lastMutationId"] != float64(i+1) || res["results"].([]any)[0].(map[string]any)["status"] != "applied" {
			t.Fatalf("a push of %d bytes: %d %.300v", size, status, res)
		}
	}
	for _, chunked := range []bool{false, true} {
		status, res := e.pushRaw("rita", paddedPush(t, "ritaphone01", acme, 3, 32<<20+1), chunked)
		if status != 413 || errorCode(res, "body") != "push_too_large" || !strings.Contains(fmt.Sprint(res["message"]), "32 MB") {
			t.Fatalf("a push one byte over 32 MB (chunked %v): %d %v", chunked, status, res)
		}
	}
	if n, _ := e.app.CountRecords("visits"); n != 2 {
		t.Fatalf("%d visits, want the 2 of the accepted pushes", n)
	}
}

// TestPushDataBound: a mutation's data (or base) over 128 KiB is rejected
// with too_large, the mutations around it apply, and its stored payload —
// pulled by its author — keeps the fields that fit and the start of the
// text that does not, within the bound.
func TestPushDataBound(t *testing.T) {
	e := newEnv(t)
	acme := e.o.Customers["rita"].Id
	huge := strings.Repeat("汉", 12<<20/3) // 12 MB of text, twice
	status, res := e.call("rita", "POST", "/api/sync/push", map[string]any{"clientId": "ritaphone01", "mutations": []map[string]any{
		{"id": 1, "op": "create", "collection": "visits", "recordId": "v00000000000001", "data": map[string]any{"customer": acme, "notes": huge}},
		{"id": 2, "op": "create", "collection": "visits", "recordId": "v00000000000002", "data": map[string]any{"customer": acme}},
		{"id": 3, "op": "update", "collection": "visits", "recordId": "v00000000000002", "data": map[string]any{"notes": "x"}, "base": map[string]any{"notes": huge}},
		{"id": 4, "op": "create", "collection": "visits", "recordId": strings.Repeat("v", 100), "data": map[string]any{"customer": acme}},
	}})
	if status != 200 || res["lastMutationId"] != 4.0 {
		t.Fatalf("push: %d %.500v", status, res)
	}
	results := res["results"].([]any)
	for i, field := range map[int]string{0: "data", 2: "base", 3: "recordId"} {
		r := results[i].(map[string]any)
		if r["status"] != "rejected" || errorCode(r["error"], field) != "too_large" {
			t.Errorf("mutation %d: want too_large on %s, got %.300v", i+1, field, r)
		}
	}
	if r := results[1].(map[string]any); r["status"] != "applied" {
		t.Fatalf("the mutation after an oversized one: %v", r)
	}
	if _, err := e.app.FindRecordById("visits", "v00000000000001"); err == nil {
		t.Fatal("the oversized create was applied")
	}

	_, pulled := e.call("rita", "GET", "/api/sync/pull?clientId=ritaphone01", nil)
	rejected := pulled["rejected"].([]any)
	if len(rejected) != 3 {
		t.Fatalf("pulled %d rejections, want 3", len(rejected))
	}
	first := rejected[0].(map[string]any)
	data := first["data"].(map[string]any)
	raw, _ := json.Marshal(data)
	notes, _ := data["notes"].(string)
	if first["id"] != 1.0 || data["customer"] != acme || len(raw) > sync.MaxDataBytes || len(raw) < sync.MaxDataBytes-8 || !strings.HasPrefix(huge, notes) {
		t.Fatalf("the stored payload: id %v, customer %v, %d bytes of data, notes a prefix %v", first["id"], data["customer"], len(raw), strings.HasPrefix(huge, notes))
	}
	base, _ := json.Marshal(rejected[1].(map[string]any)["base"])
	if len(base) > sync.MaxDataBytes || !strings.Contains(string(base), "汉汉汉") {
		t.Fatalf("the stored base: %d bytes", len(base))
	}
	if id := rejected[2].(map[string]any)["recordId"].(string); len(id) != 64 {
		t.Fatalf("the stored recordId: %d bytes", len(id))
	}
	var stored int
	if err := e.app.DB().NewQuery("SELECT MAX(LENGTH(payload)) FROM _sync_mutations").Row(&stored); err != nil || stored > 2*sync.MaxDataBytes+1000 {
		t.Fatalf("the largest stored payload takes %d bytes (%v)", stored, err)
	}
}

// rejects is a push of mutations from..to that are each rejected (a create
// in a collection sync does not write).
func rejects(client string, from, to int) map[string]any {
	var muts []map[string]any
	for id := from; id <= to; id++ {
		muts = append(muts, map[string]any{"id": id, "op": "create", "collection": "teams", "recordId": fmt.Sprintf("t%014d", id), "data": map[string]any{"name": "x"}})
	}
	return map[string]any{"clientId": client, "mutations": muts}
}

// TestRejectionCap: an install holds at most MaxOpenRejections unresolved
// rejections. A push that would store one more stops there with 429
// too_many_rejections (what came before it took effect); so does any push
// while it is full; a dismissal lets the push through again.
func TestRejectionCap(t *testing.T) {
	e := newEnv(t)
	acme := e.o.Customers["rita"].Id
	n := sync.MaxOpenRejections
	if status, res := e.call("rita", "POST", "/api/sync/push", rejects("ritaphone01", 1, n-1)); status != 200 || res["lastMutationId"] != float64(n-1) {
		t.Fatalf("%d rejections: %d %.300v", n-1, status, res)
	}
	// the cap is reached at n, and the push stops at the next rejection
	body := rejects("ritaphone01", n, n+2)
	body["mutations"] = append([]map[string]any{}, body["mutations"].([]map[string]any)[0],
		map[string]any{"id": n + 1, "op": "create", "collection": "visits", "recordId": "v00000000000001", "data": map[string]any{"customer": acme}},
		rejects("ritaphone01", n+2, n+2)["mutations"].([]map[string]any)[0])
	status, res := e.call("rita", "POST", "/api/sync/push", body)
	if status != 429 || res["code"] != "too_many_rejections" || res["lastMutationId"] != float64(n+1) || len(res["results"].([]any)) != 2 ||
		!strings.Contains(fmt.Sprint(res["message"]), fmt.Sprint(n)) {
		t.Fatalf("the push that reaches the cap: %d %.500v", status, res)
	}
	// full: even a mutation that would apply waits
	status, res = e.call("rita", "POST", "/api/sync/push", map[string]any{"clientId": "ritaphone01", "mutations": []map[string]any{
		{"id": n + 2, "op": "create", "collection": "visits", "recordId": "v00000000000002", "data": map[string]any{"customer": acme}}}})
	if status != 429 || res["code"] != "too_many_rejections" || res["lastMutationId"] != float64(n+1) {
		t.Fatalf("a push while full: %d %.300v", status, res)
	}
	var open int
	if err := e.app.DB().NewQuery("SELECT COUNT(*) FROM _sync_mutations WHERE status = 'rejected' AND dismissed = 0").Row(&open); err != nil || open != n {
		t.Fatalf("%d open rejections, want %d (%v)", open, n, err)
	}
	if status, _ := e.call("rita", "DELETE", "/api/sync/rejected/ritaphone01/7", nil); status != 204 {
		t.Fatalf("dismiss: %d", status)
	}
	status, res = e.call("rita", "POST", "/api/sync/push", map[string]any{"clientId": "ritaphone01", "mutations": []map[string]any{
		{"id": n + 2, "op": "create", "collection": "visits", "recordId": "v00000000000002", "data": map[string]any{"customer": acme}}}})
	if status != 200 || res["lastMutationId"] != float64(n+2) {
		t.Fatalf("a push after a dismissal: %d %.300v", status, res)
	}
	if n, _ := e.app.CountRecords("visits", nil); n != 2 {
		t.Fatalf("%d visits, want 2", n)
	}
	// the reference client tells the app to dismiss
	c := e.client("rita", "ritatablet1")
	for range n + 3 {
		c.Create("teams", map[string]any{"name": "x"})
	}
	if err := c.Push(context.Background()); !errors.Is(err, syncclient.ErrTooManyRejections) {
		t.Fatalf("the reference client at the cap: %v", err)
	}
}

// TestPullPagesRejected: pull pages the install's open rejections like the
// changes — a page carries at most 100 (fewer with a smaller limit), hasMore
// stays true until all were sent, each arrives once, and again after a
// reset; the reference client keeps them until dismissed.
func TestPullPagesRejected(t *testing.T) {
	e := newEnv(t)
	if status, res := e.call("rita", "POST", "/api/sync/push", rejects("ritaphone01", 1, 250)); status != 200 {
		t.Fatalf("push: %d %.300v", status, res)
	}
	pages := func(cursor string, limit int) (map[float64]int, string, int) {
		t.Helper()
		seen, n := map[float64]int{}, 0
		for {
			status, res := e.call("rita", "GET", fmt.Sprintf("/api/sync/pull?clientId=ritaphone01&limit=%d&cursor=%s", limit, cursor), nil)
			if status != 200 {
				t.Fatalf("pull: %d %v", status, res)
			}
			n++
			page := res["rejected"].([]any)
			if len(page) > min(limit, 100) {
				t.Fatalf("a page of %d rejections with limit %d", len(page), limit)
			}
			for _, r := range page {
				seen[r.(map[string]any)["id"].(float64)]++
			}
			cursor = res["cursor"].(string)
			if res["hasMore"] != true {
				return seen, cursor, n
			}
		}
	}
	seen, cursor, n := pages("", 1000)
	if len(seen) != 250 || n != 3 {
		t.Fatalf("%d rejections in %d pages, want 250 in 3", len(seen), n)
	}
	for id, times := range seen {
		if times != 1 {
			t.Errorf("rejection %v sent %d times", id, times)
		}
	}
	if again, _, _ := pages(cursor, 1000); len(again) != 0 {
		t.Fatalf("the next pull sends %d rejections again", len(again))
	}
	if status, res := e.call("rita", "POST", "/api/sync/push", rejects("ritaphone01", 251, 251)); status != 200 {
		t.Fatalf("push: %d %v", status, res)
	}
	if fresh, _, _ := pages(cursor, 7); len(fresh) != 1 || fresh[251] != 1 {
		t.Fatalf("after one more rejection, the pull sends %v", fresh)
	}
	if all, _, n := pages("", 50); len(all) != 251 || n != 6 {
		t.Fatalf("after a reset: %d rejections in %d pages", len(all), n)
	}

	c := e.client("rita", "ritaphone01")
	mustSync(t, c)
	if got := len(c.Rejected()); got != 251 {
		t.Fatalf("the reference client holds %d rejections", got)
	}
	if err := c.Dismiss(context.Background(), 5); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c)
	if got := len(c.Rejected()); got != 250 {
		t.Fatalf("after a dismissal the reference client holds %d rejections", got)
	}
}

// TestPullLimit: a limit above 1000, however long, counts as 1000; below 1
// or not a number is 400.
func TestPullLimit(t *testing.T) {
	e := newEnv(t)
	for limit, want := range map[string]int{"99999999999999999999": 200, "1001": 200, "1": 200, "": 200, "0": 400, "-99999999999999999999": 400, "ten": 400, "1.5": 400} {
		if status, res := e.call("rita", "GET", "/api/sync/pull?clientId=ritaphone01&limit="+limit, nil); status != want {
			t.Errorf("limit %q: %d %v, want %d", limit, status, res, want)
		}
	}
}

// TestConcurrentPushMemory: concurrent large pushes cost the server a small
// multiple of their size, not the ten-odd times of a body read whole,
// copied by the router and decoded again by RequestInfo. Measured as the
// peak of the process's heap in use (the test's own bodies excluded).
func TestConcurrentPushMemory(t *testing.T) {
	e := newEnv(t)
	acme := e.o.Customers["rita"].Id
	token := e.o.Token(t, "rita")
	const pushes, size = 4, 8 << 20
	bodies := make([][]byte, pushes)
	for i := range bodies {
		bodies[i] = fmt.Appendf(nil, `{"clientId":"memclient%04d","mutations":[{"id":1,"op":"create","collection":"visits","recordId":"v%014d","data":{"customer":%q,"notes":%q}}]}`,
			i, i, acme, strings.Repeat("x", size))
	}
	runtime.GC()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	base := stats.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	var wg gosync.WaitGroup
	for _, body := range bodies {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, e.url+"/api/sync/push", bytes.NewReader(body))
			req.Header.Set("Authorization", token)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Errorf("push: %d", res.StatusCode)
			}
		})
	}
	wg.Wait()
	close(done)
	ratio := float64(peak.Load()-base) / float64(pushes*size)
	t.Logf("%d concurrent pushes of %d MB: the heap grew by %.1f× their size", pushes, size>>20, ratio)
	if ratio > 7 {
		t.Fatalf("%d concurrent pushes of %d MB grew the heap by %.1f× their size", pushes, size>>20, ratio)
	}
}
