package hooks

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"rapport/internal/actor"
	"rapport/internal/violation"
)

// writers are the roles that change, or only delete, records that more
// people see: configuration, customers, accounts. The update and delete
// rules of these collections are their view rule (migration 1700000012),
// so that anyone else who sees the record is told 403 forbidden here — the
// spec: authorization failures on a visible record are 403 — and someone
// who cannot see it still gets 404.
var writers = []struct {
	collection string
	deleteOnly bool
	roles      []string
	refusal    string
}{
	{"teams", false, []string{"admin"}, "Only admins change or delete teams."},
	{"tier_policies", false, []string{"admin"}, "Only admins change tier policies."},
	{"org_settings", false, []string{"admin"}, "Only admins change the org settings."},
	{"budgets", false, []string{"finance", "admin"}, "Only finance and admins change or delete budgets."},
	{"customers", true, []string{"admin"}, "Only admins delete customers; mark the customer dormant or lost instead."},
	{"users", true, []string{"admin"}, "Only admins delete accounts; ask an admin to deactivate it instead."},
}

// priorityWriters runs the role check before the collections' own rules,
// which would otherwise answer first (org settings and tier policies are
// never deleted, by anyone).
const priorityWriters = -100

func bindWriters(app core.App) {
	for _, w := range writers {
		refuse := func(e *core.RecordEvent, field string) error {
			a := actor.Of(e.Record)
			if a.IsServer() || a.Superuser != "" || slices.Contains(w.roles, a.Role()) {
				return e.Next()
			}
			return violation.Forbidden(field, "forbidden", "%s", w.refusal)
		}
		if !w.deleteOnly {
			app.OnRecordUpdateExecute(w.collection).Bind(&hook.Handler[*core.RecordEvent]{Priority: priorityWriters,
				Func: func(e *core.RecordEvent) error { return refuse(e, firstChange(e.Record)) }})
		}
		app.OnRecordDeleteExecute(w.collection).Bind(&hook.Handler[*core.RecordEvent]{Priority: priorityWriters,
			Func: func(e *core.RecordEvent) error { return refuse(e, "id") }})
	}
}
