package migrations

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Anyone who decided a plan or expense keeps read access to it and its
// approvals (issue 24): an approver who later leaves the chain, or a
// finance user, can still open what they decided. plans and expenses get
// a server field `deciders` (everyone who recorded a decision on them,
// filled in from the approvals on record), and the rules of plans,
// expenses and approvals let them see it. Sync pulls by the same rules
// (internal/sync audience adds the deciders).
func init() {
	m.Register(func(app core.App) error {
		return deciderRules(app, true)
	}, func(app core.App) error {
		return deciderRules(app, false)
	})
}

// deciderGrants is, per collection, the rule clause a decider's access is
// added after, and what it adds.
var deciderGrants = []struct{ collection, after, grant string }{
	{"plans", "approver = @request.auth.id", " || deciders.id ?= @request.auth.id"},
	{"expenses", "approver = @request.auth.id", " || deciders.id ?= @request.auth.id"},
	{"approvals", "approver = @request.auth.id", " || plan.deciders.id ?= @request.auth.id || expense.deciders.id ?= @request.auth.id"},
}

func deciderRules(app core.App, up bool) error {
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	for _, g := range deciderGrants {
		c, err := app.FindCollectionByNameOrId(g.collection)
		if err != nil {
			return err
		}
		if g.collection != "approvals" {
			if up {
				c.Fields.Add(rel("deciders", users.Id, 999, false))
			} else {
				c.Fields.RemoveByName("deciders")
			}
		}
		for _, r := range []**string{&c.ListRule, &c.ViewRule, &c.UpdateRule, &c.DeleteRule} {
			if *r == nil {
				continue
			}
			s := **r
			if up {
				s = strings.Replace(s, g.after, g.after+g.grant, 1)
			} else {
				s = strings.Replace(s, g.after+g.grant, g.after, 1)
			}
			*r = &s
		}
		if err := app.Save(c); err != nil {
			return err
		}
		if up && g.collection != "approvals" {
			field := strings.TrimSuffix(g.collection, "s")
			_, err := app.DB().NewQuery(`UPDATE ` + g.collection + ` SET deciders = (SELECT json_group_array(approver)
				FROM (SELECT DISTINCT approver FROM approvals WHERE approvals.` + field + ` = ` + g.collection + `.id AND approver != ''))`).Execute()
			if err != nil {
				return err
			}
		}
	}
	return nil
}
