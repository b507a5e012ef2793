package hooks

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/catalog"
	"rapport/internal/violation"
)

// Writers (catalog Writers) are the roles that change, or only delete,
// records that more people see: configuration, customers, accounts. The
// update and delete rules of these collections are their view rule
// (migration 1700000012), so that anyone else who sees the record is told
// 403 forbidden here — the spec: authorization failures on a visible
// record are 403 — and someone who cannot see it still gets 404. The check
// runs before the collections' own rules (StageWriters), which would
// otherwise answer first (org settings and tier policies are never
// deleted, by anyone).
func bindWriters(app core.App) {
	for _, c := range catalog.All {
		if c.Writers == nil {
			continue
		}
		w := c.Writers
		if !w.DeleteOnly {
			bind(app.OnRecordUpdateExecute(c.Name), StageWriters, "rapport."+c.Name+".writers", func(e *core.RecordEvent) error {
				return onlyWriters(e, w, firstChange(e.Record))
			})
		}
		bind(app.OnRecordDeleteExecute(c.Name), StageWriters, "rapport."+c.Name+".writers", func(e *core.RecordEvent) error {
			return onlyWriters(e, w, "id")
		})
	}
}

// onlyWriters refuses the write unless it is the server's, a superuser's
// or one of w's roles', naming field.
func onlyWriters(e *core.RecordEvent, w *catalog.Writers, field string) error {
	a := actor.Of(e.Record)
	if a.IsServer() || a.Superuser != "" || slices.Contains(w.Roles, a.Role()) {
		return e.Next()
	}
	return violation.Forbidden(field, "forbidden", "%s", w.Refusal)
}
