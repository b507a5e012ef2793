package sync_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"rapport/internal/sync"
)

// pushRaw sends body to the push as user name; chunked hides its length
// from the server until it has read it.
func (e *env) pushRaw(name string, body []byte, chunked bool) (int, map[string]any) {
	e.t.Helper()
	var r io.Reader = bytes.NewReader(body)
	if chunked {
		r = io.MultiReader(r) // no Content-Length
	}
	req, _ := http.NewRequest(http.MethodPost, e.url+"/api/sync/push", r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", e.o.Token(e.t, name))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
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
