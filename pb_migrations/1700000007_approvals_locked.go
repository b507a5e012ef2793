package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Approvals are permanent (hooks answer 400 locked to any change). Without
// update and delete rules PocketBase stopped everyone but superusers
// before the hooks, with "Only superusers can perform this action": a 403
// without a code that also suggested a superuser could. With the view rule,
// whoever sees an approval gets the spec's `locked`, and others the 404 of
// a record outside their scope.
func init() {
	m.Register(func(app core.App) error {
		return approvalChangeRules(app, true)
	}, func(app core.App) error {
		return approvalChangeRules(app, false)
	})
}

func approvalChangeRules(app core.App, asView bool) error {
	approvals, err := app.FindCollectionByNameOrId("approvals")
	if err != nil {
		return err
	}
	approvals.UpdateRule, approvals.DeleteRule = nil, nil
	if asView {
		approvals.UpdateRule, approvals.DeleteRule = approvals.ViewRule, approvals.ViewRule
	}
	return app.Save(approvals)
}
