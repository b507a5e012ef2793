package sync_test

import (
	"fmt"
	"testing"
)

// BenchmarkPush measures pushed visit creates and edits (cheap rules, so
// the protocol's own cost shows): go test -bench Push ./internal/sync/
func BenchmarkPush(b *testing.B) {
	e := newEnv(b)
	acme := e.o.Customers["rita"].Id
	const batch = 100
	next := 0
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		var muts []map[string]any
		for j := 0; j < batch; j += 2 {
			id := fmt.Sprintf("v%014d", next)
			muts = append(muts,
				map[string]any{"id": next + 1, "op": "create", "collection": "visits", "recordId": id, "data": map[string]any{"customer": acme}},
				map[string]any{"id": next + 2, "op": "update", "collection": "visits", "recordId": id, "data": map[string]any{"notes": "x"}})
			next += 2
		}
		if status, res := e.call("rita", "POST", "/api/sync/push", map[string]any{"clientId": "ritaphone01", "mutations": muts}); status != 200 {
			b.Fatal(res)
		}
	}
}
