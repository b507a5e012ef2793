package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"

	"rapport/internal/audit"
)

// The seeded defaults (tier policies, org settings) were inserted without
// audit entries, so an auditor could not see where a value came from. This
// makes the log explain each seeded record's values (audit.Explain), as
// the server's: on a new install one `create` entry per record, the first
// entries of the chain; on an upgraded install, the values no edit
// explains (the seeded ones, and fields migrations added since, such as
// plan_grace_days). What later migrations change is explained when the
// server starts (hooks/settings_explained.go).
func init() {
	m.Register(func(app core.App) error {
		for _, name := range []string{"tier_policies", "org_settings"} {
			records, err := app.FindAllRecords(name)
			if err != nil {
				return err
			}
			for _, r := range records {
				if err := audit.Explain(app, r); err != nil {
					return err
				}
			}
		}
		return nil
	}, nil)
}
