package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A user no longer sees the account of the manager set on them. The users
// rules showed it (`id = @request.auth.manager`), approval_limit included,
// and a rep who knows the limit above them knows how to split an expense
// under it. A user sees their own account and those of the teams they
// manage; finance and admins see every account. hooks/reads.go keeps
// filters and sorts through relations from reading what the rule hides.
func init() {
	m.Register(func(app core.App) error {
		return usersRule(app, scoped(`id = @request.auth.id || team.viewers.id ?= @request.auth.id`))
	}, func(app core.App) error {
		return usersRule(app, scoped(`id = @request.auth.id || id = @request.auth.manager || team.viewers.id ?= @request.auth.id`))
	})
}

// usersRule sets who sees an account; updates follow the view rule (the
// hooks answer 403 to all but the owner and admins).
func usersRule(app core.App, view *string) error {
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	users.ListRule, users.ViewRule, users.UpdateRule = view, view, view
	return app.Save(users)
}
