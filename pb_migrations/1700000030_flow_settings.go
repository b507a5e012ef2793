package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Two org settings that were constants (issue 24): plan_grace_days, how many
// days after period_end a plan's expenses dated inside its period may still
// be submitted before the plan closes (default: max_age_days, so anything
// not too old to claim can be claimed), and late_submission_days, after
// which a submitted expense is flagged late_submission (7, the old
// constant). The existing record gets the defaults.
func init() {
	m.Register(func(app core.App) error {
		settings, err := app.FindCollectionByNameOrId("org_settings")
		if err != nil {
			return err
		}
		for _, name := range []string{"plan_grace_days", "late_submission_days"} {
			settings.Fields.Add(&core.NumberField{Name: name, OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(float64(maxInt))})
		}
		if err := app.Save(settings); err != nil {
			return err
		}
		_, err = app.DB().NewQuery(`UPDATE org_settings SET plan_grace_days = max_age_days, late_submission_days = 7`).Execute()
		return err
	}, func(app core.App) error {
		settings, err := app.FindCollectionByNameOrId("org_settings")
		if err != nil {
			return err
		}
		settings.Fields.RemoveByName("plan_grace_days")
		settings.Fields.RemoveByName("late_submission_days")
		return app.Save(settings)
	})
}
