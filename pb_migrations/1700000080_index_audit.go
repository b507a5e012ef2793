package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The index audit of issue 22 (docs/benchmarks.md, "Index audit"): every
// index on expenses, plans, visits, customers, _sync_changes and audit_log
// was matched against the queries that run (EXPLAIN QUERY PLAN). Three
// carried every row although their queries only ever read a slice of them:
//
//   - idx_expenses_approver and idx_plans_approver (approver, status)
//     serve "what waits for me" (approver = ? AND status = 'submitted':
//     the approval inbox, the daily summary, rerouting): they now hold the
//     submitted rows only, so a draft, approved or paid row costs no entry
//     and the status column is no longer needed in the key.
//   - idx_visits_generated (status, source, window_end) serves the daily
//     job's closing of generated visits, which reads scheduled ones only:
//     done, missed and cancelled visits (most of them, over time) no longer
//     have an entry.
//
// Queries whose WHERE repeats the index's condition use the partial index;
// the others never used these indexes. (idx_expenses_budget_sums would be
// the next: its queries read committed rows only, but PocketBase's index
// parser cannot hold the parenthesised IN list such a condition needs.)
var indexAudit = []struct {
	collection, name, columns, where string // new
	oldColumns                       string // as before
}{
	{"expenses", "idx_expenses_approver", "approver", "status = 'submitted'", "approver, status"},
	{"plans", "idx_plans_approver", "approver", "status = 'submitted'", "approver, status"},
	{"visits", "idx_visits_generated", "source, window_end", "status = 'scheduled'", "status, source, window_end"},
}

func init() {
	m.Register(func(app core.App) error {
		return auditIndexes(app, false)
	}, func(app core.App) error {
		return auditIndexes(app, true)
	})
}

func auditIndexes(app core.App, down bool) error {
	for _, ix := range indexAudit {
		c, err := app.FindCollectionByNameOrId(ix.collection)
		if err != nil {
			return err
		}
		c.RemoveIndex(ix.name)
		if down {
			c.AddIndex(ix.name, false, ix.oldColumns, "")
		} else {
			c.AddIndex(ix.name, false, ix.columns, ix.where)
		}
		if err := app.Save(c); err != nil {
			return err
		}
	}
	return nil
}
