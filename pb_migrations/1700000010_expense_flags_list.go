package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// expenses.flags is a list from the start (hooks/expense_rules.go); drafts
// written before held null until their first submit.
func init() {
	m.Register(func(app core.App) error {
		_, err := app.DB().NewQuery(`UPDATE expenses SET flags = '[]' WHERE flags IS NULL OR flags IN ('', 'null')`).Execute()
		return err
	}, nil)
}
