package migrations

import (
	"reflect"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Plans and expenses get a server-maintained `label` (hooks/stage_label.go),
// presentable instead of the title (plans: dozens share one) and of
// category, amount and day (expenses showed as "meal 15000 2026-12-05").
// Existing records are labelled here with the same format, in SQL:
//
//	plan:    customer · rep · title (period_start – period_end)
//	expense: customer · category · 1,200.00 CNY
func init() {
	m.Register(func(app core.App) error {
		for name, old := range labelled {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return err
			}
			c.Fields.Add(&core.TextField{Name: "label", Max: 1000, Presentable: true})
			for _, f := range old {
				reflect.ValueOf(c.Fields.GetByName(f)).Elem().FieldByName("Presentable").SetBool(false)
			}
			if err := app.Save(c); err != nil {
				return err
			}
		}
		for _, sql := range labelBackfill {
			if _, err := app.DB().NewQuery(sql).Execute(); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		for name, old := range labelled {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return err
			}
			c.Fields.RemoveByName("label")
			for _, f := range old {
				reflect.ValueOf(c.Fields.GetByName(f)).Elem().FieldByName("Presentable").SetBool(true)
			}
			if err := app.Save(c); err != nil {
				return err
			}
		}
		return nil
	})
}

// labelled: the collections that get a label, and the fields that were
// presentable before.
var labelled = map[string][]string{
	"plans":    {"title"},
	"expenses": {"category", "amount", "incurred_on"},
}

// labelBackfill labels the records that exist (a frozen copy of the
// format; hooks/stage_label.go labels every later write). A user without a name
// shows as their email.
var labelBackfill = []string{
	`UPDATE plans SET label =
		COALESCE((SELECT name FROM customers WHERE customers.id = plans.customer), '') || ' · ' ||
		COALESCE((SELECT COALESCE(NULLIF(name, ''), email) FROM users WHERE users.id = plans.owner), '') || ' · ' ||
		title || ' (' || period_start || ' – ' || period_end || ')'`,
	`UPDATE expenses SET label =
		COALESCE((SELECT name FROM customers WHERE customers.id = expenses.customer), '') || ' · ' ||
		category || ' · ' || printf('%,d.%02d', CAST(amount AS INTEGER) / 100, CAST(amount AS INTEGER) % 100) || ' ' ||
		COALESCE(NULLIF(currency, ''), (SELECT currency FROM org_settings LIMIT 1), 'CNY')`,
}
