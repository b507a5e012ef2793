package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A complaint about a customer out of the writer's sight was refused by the
// create rule, which PocketBase answers with a bare "Failed to create
// record." and no code. The rule now only asks for a signed-in user, and
// hooks/complaint_rules.go refuses such a customer with
// validation_missing_rel_records, as a relation to a record out of sight.
func init() {
	m.Register(func(app core.App) error {
		return complaintsCreateRule(app, rule(authed))
	}, func(app core.App) error {
		return complaintsCreateRule(app, scoped(`customer.owner = @request.auth.id || customer.team.viewers.id ?= @request.auth.id`))
	})
}

func complaintsCreateRule(app core.App, r *string) error {
	c, err := app.FindCollectionByNameOrId("complaints")
	if err != nil {
		return err
	}
	c.CreateRule = r
	return app.Save(c)
}
