package migrations_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/dbx"

	"rapport/internal/testkit"
)

// The partial indexes of the index audit serve the queries they were kept
// for, built the way the code builds them (values as bound parameters).
func TestIndexAuditPlans(t *testing.T) {
	app := testkit.NewApp(t)
	cases := []struct {
		what, index string
		q           *dbx.SelectQuery
	}{
		{"an approver's waiting expenses (the inbox)", "idx_expenses_approver",
			app.DB().Select("id").From("expenses").Where(dbx.HashExp{"approver": "u1", "status": "submitted"})},
		{"every waiting plan (rerouting, the daily summary)", "idx_plans_approver",
			app.DB().Select("*").From("plans").Where(dbx.HashExp{"status": "submitted"}).AndWhere(dbx.Not(dbx.HashExp{"approver": ""}))},
		{"generated visits whose window ended", "idx_visits_generated",
			app.DB().Select("id").From("visits").Where(dbx.HashExp{"status": "scheduled"}).
				AndWhere(dbx.In("source", "schedule", "followup", "care")).
				AndWhere(dbx.NewExp("window_end != '' AND window_end < {:day}", dbx.Params{"day": "2026-01-01"}))},
		{"a receipt claimed on another expense", "idx_expenses_receipt",
			app.DB().Select("id").From("expenses").Where(dbx.HashExp{"receipt_sha256": "abc"}).
				AndWhere(dbx.NewExp("receipt_sha256 != ''")).AndWhere(dbx.Not(dbx.HashExp{"status": "draft"})).Limit(1)},
	}
	for _, c := range cases {
		built := c.q.Build()
		var steps []struct {
			Detail string `db:"detail"`
		}
		if err := app.DB().NewQuery("EXPLAIN QUERY PLAN " + built.SQL()).Bind(built.Params()).All(&steps); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		var plan []string
		for _, s := range steps {
			plan = append(plan, s.Detail)
		}
		if !strings.Contains(strings.Join(plan, "; "), "INDEX "+c.index) {
			t.Errorf("%s: plan %q does not use %s", c.what, plan, c.index)
		}
	}
}
