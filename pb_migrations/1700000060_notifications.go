package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// notifications: what the server tells one user (a decision, a breached
// complaint, customers handed over). Records, so that apps show them offline;
// only the server creates them, and a user sees and marks read only their own.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		c := core.NewBaseCollection("notifications")
		c.Fields.Add(
			rel("user", users.Id, 1, true),
			&core.TextField{Name: "kind", Required: true, Max: 64},
			&core.TextField{Name: "title", Required: true, Max: 300, Presentable: true},
			&core.TextField{Name: "body", Max: 5000},
			&core.TextField{Name: "link", Max: 2000},
			&core.DateField{Name: "read_at"},
		)
		timestamps(c)
		c.AddIndex("idx_notifications_user", false, "user, created", "")
		own := rule(authed + " && user = @request.auth.id")
		c.ListRule = own
		c.ViewRule = own
		c.UpdateRule = own
		return app.Save(c)
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("notifications")
		if err != nil {
			return nil
		}
		return app.Delete(c)
	})
}
