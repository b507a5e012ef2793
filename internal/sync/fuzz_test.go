package sync_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzPush sends arbitrary bodies to POST /api/sync/push as a rep, on one
// server shared by the inputs. Whatever arrives, the answer is a JSON
// object with a 2xx, 4xx or 503 status — never a 500 — and the server keeps
// serving. CI runs it briefly; seeds and testdata/ run with every `go test`.
func FuzzPush(f *testing.F) {
	for _, seed := range []string{
		`{"clientId":"fuzz-client-01","schemaVersion":1,"mutations":[]}`,
		`{"clientId":"fuzz-client-01","mutations":[{"id":1,"op":"create","collection":"customers","recordId":"c00000000000001","data":{"name":"Fuzz Ltd"}}]}`,
		`{"clientId":"fuzz-client-01","mutations":[{"id":2,"op":"update","collection":"customers","recordId":"c00000000000001","data":{"team":"x"},"base":{"team":""}}]}`,
		`{"clientId":"fuzz-client-01","mutations":[{"id":3,"op":"delete","collection":"users","recordId":"zzz"}]}`,
		`{"clientId":"fuzz-client-01","mutations":[{"id":9,"op":"explode","collection":"_superusers"}]}`,
		`{"clientId":"x","mutations":[{"id":-1}]}`,
		`{"mutations":{"id":1}}`,
		`[1,2,3]`, `null`, `{`, "",
	} {
		f.Add([]byte(seed))
	}
	e := newEnv(f)
	token := e.o.Token(f, "rita")
	f.Fuzz(func(t *testing.T, body []byte) {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/api/sync/push", bytes.NewReader(body))
		req.Header.Set("Authorization", token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("server stopped serving: %v", err)
		}
		defer res.Body.Close()
		if res.StatusCode >= 500 && res.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("status %d for %q", res.StatusCode, body)
		}
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatalf("status %d with a body that is not a JSON object: %v", res.StatusCode, err)
		}
	})
}
