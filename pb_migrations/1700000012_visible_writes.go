package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Writes that only some roles may make, on records more people see, had
// rules naming those roles: anyone else who saw the record got PocketBase's
// 404, while the spec says authorization failures on a visible record are
// 403. Their rules are now the view rule, and hooks/stage_writers.go answers 403
// forbidden to the other roles (as for approvals, 1700000007, and users'
// updates). The org settings' create and delete rules too: whoever asks is
// told 400 locked (one record, never duplicated nor removed), not "only
// superusers".
func init() {
	m.Register(func(app core.App) error {
		return visibleWrites(app, true)
	}, func(app core.App) error {
		return visibleWrites(app, false)
	})
}

func visibleWrites(app core.App, asView bool) error {
	// the rules before (nil update: left as it is)
	byRole := map[string]struct{ update, delete *string }{
		"teams":         {rule(admin), rule(admin)},
		"tier_policies": {rule(authed + " && " + admin), rule(authed + " && " + admin)},
		"org_settings":  {rule(authed + " && " + admin), nil},
		"budgets":       {rule(authed + " && (" + staff + ")"), rule(authed + " && (" + staff + ")")},
		"customers":     {nil, rule(admin)},
		"users":         {nil, rule(admin)},
	}
	for name, before := range byRole {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			return err
		}
		if before.update != nil {
			c.UpdateRule = before.update
			if asView {
				c.UpdateRule = c.ViewRule
			}
		}
		c.DeleteRule = before.delete
		if asView {
			c.DeleteRule = c.ViewRule
		}
		if name == "org_settings" { // no create rule before: superusers only
			c.CreateRule = nil
			if asView {
				c.CreateRule = c.ViewRule
			}
		}
		if err := app.Save(c); err != nil {
			return err
		}
	}
	return nil
}
