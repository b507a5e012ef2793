package migrations

import (
	"encoding/json"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"

	"rapport/internal/audit"
)

// The seeded defaults (tier policies, org settings) were inserted without
// audit entries, so an auditor could not see where a value came from. This
// records, for each seeded record, every field whose value no entry
// explains yet, as the server's: on a new install (and for a record never
// edited) one `create` entry with all its values, the first entries of the
// chain; on a record edited before this migration, an `update` entry with
// the fields no edit touched (the seeded values, and fields later
// migrations added, such as plan_grace_days).
func init() {
	m.Register(func(app core.App) error {
		for _, name := range []string{"tier_policies", "org_settings"} {
			records, err := app.FindAllRecords(name)
			if err != nil {
				return err
			}
			for _, r := range records {
				if err := auditSeed(app, r); err != nil {
					return err
				}
			}
		}
		return nil
	}, nil)
}

func auditSeed(app core.App, r *core.Record) error {
	var logged []string
	err := app.DB().Select("changes").From("audit_log").
		Where(dbx.HashExp{"collection": r.Collection().Name, "record_id": r.Id}).Column(&logged)
	if err != nil {
		return err
	}
	explained := map[string]bool{}
	for _, raw := range logged {
		var changes map[string]any
		if json.Unmarshal([]byte(raw), &changes) == nil {
			for f := range changes {
				explained[f] = true
			}
		}
	}
	entry := audit.Entry{Action: "create", Collection: r.Collection().Name, RecordID: r.Id, Changes: map[string][2]any{}}
	if len(logged) > 0 {
		entry.Action = "update"
	}
	for _, f := range r.Collection().Fields {
		name := f.GetName()
		if name == "id" || name == "created" || name == "updated" || explained[name] {
			continue
		}
		entry.Changes[name] = [2]any{nil, r.Get(name)}
	}
	if len(entry.Changes) == 0 {
		return nil
	}
	return audit.Append(app, entry)
}
