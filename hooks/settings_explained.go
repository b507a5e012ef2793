package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/audit"
)

// seeded are the collections whose records migrations write without the
// record hooks: the defaults, and fields later migrations add or rewrite.
var seeded = []string{"tier_policies", "org_settings"}

// bindExplained makes the audit log explain every value of the seeded
// records when the server starts, after the migrations: a migration that
// wrote them in SQL (which must not run the hooks) leaves its values
// unaudited until then, and an auditor must find where each value came
// from. Records written through the hooks are already explained: nothing
// is added.
func bindExplained(app core.App) {
	bindUntagged(app.OnServe(), StageServe, "rapport.audit.explain_seeded", explainSeeded)
}

func explainSeeded(se *core.ServeEvent) error {
	err := se.App.RunInTransaction(func(tx core.App) error {
		for _, name := range seeded {
			records, err := tx.FindAllRecords(name)
			if err != nil {
				return err
			}
			for _, r := range records {
				if err := audit.Explain(tx, r); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return se.Next()
}
