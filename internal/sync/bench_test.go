package sync_test

import (
	"fmt"
	"testing"
	"time"

	"rapport/internal/org"
	"rapport/internal/testkit"
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

// BenchmarkPushExpenses measures P1's shape in process: pushes of 10
// expenses, each created then submitted (with base), on an approved plan
// under an org budget. Every expense is on one customer, whose care spend
// the submit sums, so compare runs of the same count:
// go test -run '^$' -bench PushExpenses -benchtime 2000x ./internal/sync/
func BenchmarkPushExpenses(b *testing.B) {
	e := newEnv(b)
	s, err := org.LoadSettings(e.app)
	if err != nil {
		b.Fatal(err)
	}
	today := s.Today(time.Now())
	day := func(n int) string {
		t, _ := time.Parse(time.DateOnly, today)
		return t.AddDate(0, 0, -n).Format(time.DateOnly)
	}
	approved := testkit.MustCreate(b, e.app, nil, "plans", map[string]any{"customer": e.o.Customers["rita"].Id, "title": "Care",
		"methods": []string{"visit", "meal"}, "period_start": day(59), "period_end": day(-60), "budget": testkit.Yuan(100_000_000), "status": "approved"})
	e.o.Budget(b, "org", "warn", 100_000_000)
	const batch = 10
	next := 0
	stmts := countStatements(e.app)
	b.ResetTimer()
	for i := 0; i < b.N; i += 2 * batch {
		var muts []map[string]any
		for range batch {
			id := fmt.Sprintf("x%014d", next)
			muts = append(muts,
				map[string]any{"id": next + 1, "op": "create", "collection": "expenses", "recordId": id, "data": map[string]any{
					"plan": approved.Id, "category": "other", "amount": 1, "incurred_on": day(next / 2 % 50), "description": "lunch"}},
				map[string]any{"id": next + 2, "op": "update", "collection": "expenses", "recordId": id,
					"data": map[string]any{"status": "submitted"}, "base": map[string]any{"status": "draft"}})
			next += 2
		}
		status, res := e.call("rita", "POST", "/api/sync/push", map[string]any{"clientId": "ritaphone01", "mutations": muts})
		if status != 200 {
			b.Fatal(res)
		}
		for _, r := range res["results"].([]any) {
			if r := r.(map[string]any); r["status"] != "applied" {
				b.Fatal(r)
			}
		}
	}
	b.StopTimer()
	stmts.report(b, next)
}
