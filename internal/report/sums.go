package report

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// report_spend_sums holds the committed, approved and paid sums of the
// expenses per month, customer, rep and team (migration 1700000052). An
// expense write moves the expense's old share out and its new share in,
// inside the write's transaction, so the table always equals RebuildSums.
// The spend report reads it for whole months when the caller sees every
// expense (finance, admin): a year of a million expenses is then a few
// thousand rows instead of a million.
const sumsTable = "report_spend_sums"

// BindSums keeps report_spend_sums current on every expense write.
func BindSums(app core.App) {
	app.OnRecordCreateExecute("expenses").BindFunc(func(e *core.RecordEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		return moveShare(e.App, nil, e.Record)
	})
	app.OnRecordUpdateExecute("expenses").BindFunc(func(e *core.RecordEvent) error {
		old := e.Record.Original()
		if err := e.Next(); err != nil {
			return err
		}
		return moveShare(e.App, old, e.Record)
	})
	app.OnRecordDeleteExecute("expenses").BindFunc(func(e *core.RecordEvent) error {
		old := e.Record.Original()
		if err := e.Next(); err != nil {
			return err
		}
		return moveShare(e.App, old, nil)
	})
}

// share is what one expense adds to its row of report_spend_sums.
type share struct {
	month, customer, rep, team string
	committed, approved, paid  int64
}

func shareOf(x *core.Record) (share, bool) {
	s := share{customer: x.GetString("customer"), rep: x.GetString("rep"), team: x.GetString("team")}
	if day := x.GetString("incurred_on"); len(day) >= 7 {
		s.month = day[:7]
	}
	amount := int64(x.GetInt("amount"))
	switch x.GetString("status") {
	case "paid":
		s.paid = amount
		fallthrough
	case "approved":
		s.approved = amount
		fallthrough
	case "submitted":
		s.committed = amount
		return s, true
	}
	return s, false
}

// moveShare takes old's share out of the sums and puts x's in (either may
// be nil).
func moveShare(app core.App, old, x *core.Record) error {
	if old != nil {
		if s, ok := shareOf(old); ok {
			if err := addShare(app, s, -1); err != nil {
				return err
			}
		}
	}
	if x != nil {
		if s, ok := shareOf(x); ok {
			return addShare(app, s, 1)
		}
	}
	return nil
}

func addShare(app core.App, s share, sign int64) error {
	_, err := app.DB().NewQuery(`INSERT INTO ` + sumsTable + ` (month, customer, rep, team, committed, approved, paid, expenses)
		VALUES ({:month}, {:customer}, {:rep}, {:team}, {:committed}, {:approved}, {:paid}, {:n})
		ON CONFLICT (month, customer, rep, team) DO UPDATE SET committed = committed + excluded.committed,
			approved = approved + excluded.approved, paid = paid + excluded.paid, expenses = expenses + excluded.expenses`).
		Bind(dbx.Params{"month": s.month, "customer": s.customer, "rep": s.rep, "team": s.team,
			"committed": sign * s.committed, "approved": sign * s.approved, "paid": sign * s.paid, "n": sign}).Execute()
	return err
}

// RebuildSums recomputes report_spend_sums from the expenses (for data
// written around the rules, such as the bench's bulk load).
func RebuildSums(app core.App) error {
	return app.RunInTransaction(func(tx core.App) error {
		if _, err := tx.DB().NewQuery("DELETE FROM " + sumsTable).Execute(); err != nil {
			return err
		}
		_, err := tx.DB().NewQuery(`INSERT INTO ` + sumsTable + ` (month, customer, rep, team, committed, approved, paid, expenses)
			SELECT substr(incurred_on, 1, 7), customer, rep, team, SUM(amount),
				COALESCE(SUM(CASE WHEN status IN ('approved', 'paid') THEN amount END), 0),
				COALESCE(SUM(CASE WHEN status = 'paid' THEN amount END), 0), COUNT(*)
			FROM expenses WHERE status IN ('submitted', 'approved', 'paid')
			GROUP BY 1, 2, 3, 4`).Execute()
		return err
	})
}
