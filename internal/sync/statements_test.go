package sync_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"sort"
	gosync "sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/testkit"
)

// statements counts the SQL statements app runs on its write connection
// (where every write and its transaction's reads go), by shape: a steadier
// measure of a write's cost than time on a shared machine.
type statements struct {
	mu     gosync.Mutex
	total  int
	shapes map[string]int
}

var (
	literals = regexp.MustCompile(`'[^']*'|\b\d+\b`)
	spaces   = regexp.MustCompile(`\s+`)
)

func countStatements(app core.App) *statements {
	s := &statements{shapes: map[string]int{}}
	db := app.NonconcurrentDB().(*dbx.DB)
	add := func(q string) {
		shape := spaces.ReplaceAllString(literals.ReplaceAllString(q, "?"), " ")
		if len(shape) > 110 {
			shape = shape[:110]
		}
		s.mu.Lock()
		s.total++
		s.shapes[shape]++
		s.mu.Unlock()
	}
	db.QueryLogFunc = func(_ context.Context, _ time.Duration, q string, _ *sql.Rows, _ error) { add(q) }
	db.ExecLogFunc = func(_ context.Context, _ time.Duration, q string, _ sql.Result, _ error) { add(q) }
	return s
}

// report adds statements/op to b and, with STATEMENTS=1, prints the shapes.
func (s *statements) report(b *testing.B, ops int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b.ReportMetric(float64(s.total)/float64(ops), "stmts/op")
	if os.Getenv("STATEMENTS") == "" {
		return
	}
	shapes := make([]string, 0, len(s.shapes))
	for k := range s.shapes {
		shapes = append(shapes, k)
	}
	sort.Slice(shapes, func(i, j int) bool { return s.shapes[shapes[i]] > s.shapes[shapes[j]] })
	for _, k := range shapes {
		fmt.Printf("%7.2f  %s\n", float64(s.shapes[k])/float64(ops), k)
	}
}

// BenchmarkRESTCreateExpense is P2's shape in process: a rep creates a
// draft expense through the records API, with sync's change log on:
// go test -run '^$' -bench RESTCreateExpense -benchtime 1000x ./internal/sync/
func BenchmarkRESTCreateExpense(b *testing.B) {
	e := newEnv(b)
	plan := testkit.MustCreate(b, e.app, nil, "plans", map[string]any{"customer": e.o.Customers["rita"].Id, "title": "Care",
		"methods": []string{"visit", "meal"}, "period_start": testkit.Day(-30), "period_end": testkit.Day(30),
		"budget": testkit.Yuan(100_000_000), "status": "approved"})
	e.o.Budget(b, "org", "warn", 100_000_000)
	stmts := countStatements(e.app)
	b.ResetTimer()
	for b.Loop() {
		status, res := e.call("rita", "POST", "/api/collections/expenses/records", map[string]any{
			"plan": plan.Id, "category": "other", "amount": 1, "incurred_on": testkit.Day(0), "description": "lunch"})
		if status != 200 {
			b.Fatal(res)
		}
	}
	b.StopTimer()
	stmts.report(b, b.N)
}
