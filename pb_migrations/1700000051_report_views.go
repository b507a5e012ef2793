package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The main report figures as dashboard pages: read-only view collections
// that finance and admin users (and superusers) list and filter in the
// dashboard, with money in yuan ("1,200.00"). They show the whole
// organisation over all time; GET /api/reports (docs/reports.md) takes a
// range, a grouping and the caller's scope.
func init() {
	m.Register(func(app core.App) error {
		for _, v := range reportViews {
			c := core.NewViewCollection(v.name)
			c.ViewQuery = v.query
			c.ListRule = rule(authed + " && (" + staff + ")")
			c.ViewRule = c.ListRule
			if err := app.Save(c); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		for _, v := range reportViews {
			c, err := app.FindCollectionByNameOrId(v.name)
			if err != nil {
				return err
			}
			if err := app.Delete(c); err != nil {
				return err
			}
		}
		return nil
	})
}

// yuan writes an integer SQL expression of minor units as yuan text with
// thousands separators ("1,234.50"); CAST makes the view field a text.
func yuan(minor string) string {
	x := "CAST(COALESCE(" + minor + ", 0) AS INTEGER)"
	return "CAST(CASE WHEN " + x + " < 0 THEN '-' ELSE '' END || printf('%,d.%02d', abs(" + x + ") / 100, abs(" + x + ") % 100) AS TEXT)"
}

// spendSums are the money columns of the spend views over expenses e.
var spendSums = `COUNT(*) AS expenses, ` +
	yuan("SUM(e.amount)") + ` AS committed, ` +
	yuan("SUM(CASE WHEN e.status IN ('approved', 'paid') THEN e.amount END)") + ` AS approved, ` +
	yuan("SUM(CASE WHEN e.status = 'paid' THEN e.amount END)") + ` AS paid`

var reportViews = []struct{ name, query string }{
	{"report_spend_tier_month", `SELECT (COALESCE(c.tier, '') || '-' || substr(e.incurred_on, 1, 7)) AS id,
		c.tier AS tier, CAST(substr(e.incurred_on, 1, 7) AS TEXT) AS month, ` + spendSums + `
		FROM expenses e LEFT JOIN customers c ON c.id = e.customer
		WHERE e.status IN ('submitted', 'approved', 'paid')
		GROUP BY c.tier, substr(e.incurred_on, 1, 7)`},
	{"report_spend_team_month", `SELECT (COALESCE(e.team, '') || '-' || substr(e.incurred_on, 1, 7)) AS id,
		e.team AS team, CAST(COALESCE(t.name, '') AS TEXT) AS team_name, CAST(substr(e.incurred_on, 1, 7) AS TEXT) AS month, ` + spendSums + `
		FROM expenses e LEFT JOIN teams t ON t.id = e.team
		WHERE e.status IN ('submitted', 'approved', 'paid')
		GROUP BY e.team, substr(e.incurred_on, 1, 7)`},
	{"report_budgets", `SELECT b.id AS id, b.name AS name, b.scope AS scope, b.team AS team, b.rep AS rep,
		b.category AS category, b.period AS period, b.period_start AS period_start, b.period_end AS period_end,
		b.on_exceed AS on_exceed, ` + yuan("b.amount") + ` AS budget, ` + yuan("b.committed") + ` AS committed, ` +
		yuan("b.spent") + ` AS spent, ` + yuan("b.amount - b.committed") + ` AS remaining,
		CAST(CASE WHEN b.amount > 0 THEN ROUND(b.committed * 100.0 / b.amount, 1) END AS REAL) AS utilisation,
		CAST(CASE WHEN b.committed > b.amount THEN 'exceeded'
			WHEN b.committed * 100 >= COALESCE(NULLIF(b.warn_at_percent, 0), 80) * b.amount THEN 'warn'
			ELSE 'ok' END AS TEXT) AS status
		FROM budgets b`},
}
