package migrations

import (
	"reflect"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The dashboard's relation pickers and lists show a record by its
// presentable fields, else by its id: an admin choosing a user's manager
// or reading an approval saw ids only.
var presentable = map[string][]string{
	"users":     {"name"},
	"visits":    {"kind", "due_date"},
	"expenses":  {"category", "amount", "incurred_on"},
	"approvals": {"decision"},
}

func init() {
	m.Register(func(app core.App) error {
		return setPresentable(app, true)
	}, func(app core.App) error {
		return setPresentable(app, false)
	})
}

func setPresentable(app core.App, on bool) error {
	for name, fields := range presentable {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			return err
		}
		for _, f := range fields {
			// every field type has its own Presentable, and no setter
			reflect.ValueOf(c.Fields.GetByName(f)).Elem().FieldByName("Presentable").SetBool(on)
		}
		if err := app.Save(c); err != nil {
			return err
		}
	}
	return nil
}
