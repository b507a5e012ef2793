package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// report_spend_sums: the spend report's monthly sums per customer, rep and
// team (internal/report/sums.go keeps them on every expense write). A
// plain table, not a collection: nobody reads it but the report.
func init() {
	m.Register(func(app core.App) error {
		for _, sql := range []string{
			`CREATE TABLE report_spend_sums (month TEXT NOT NULL, customer TEXT NOT NULL, rep TEXT NOT NULL,
				team TEXT NOT NULL, committed INTEGER NOT NULL DEFAULT 0, approved INTEGER NOT NULL DEFAULT 0,
				paid INTEGER NOT NULL DEFAULT 0, expenses INTEGER NOT NULL DEFAULT 0,
				PRIMARY KEY (month, customer, rep, team)) WITHOUT ROWID`,
			`INSERT INTO report_spend_sums (month, customer, rep, team, committed, approved, paid, expenses)
				SELECT substr(incurred_on, 1, 7), customer, rep, team, SUM(amount),
					COALESCE(SUM(CASE WHEN status IN ('approved', 'paid') THEN amount END), 0),
					COALESCE(SUM(CASE WHEN status = 'paid' THEN amount END), 0), COUNT(*)
				FROM expenses WHERE status IN ('submitted', 'approved', 'paid')
				GROUP BY 1, 2, 3, 4`,
		} {
			if _, err := app.DB().NewQuery(sql).Execute(); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		_, err := app.DB().NewQuery("DROP TABLE IF EXISTS report_spend_sums").Execute()
		return err
	})
}
