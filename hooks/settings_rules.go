package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/violation"
)

// The org settings are one record: edited in place, never duplicated (which
// one would apply?) nor removed, not even from the dashboard; likewise the
// tier policies, one per tier.
func bindSettings(app core.App) {
	bind(app.OnRecordCreateExecute("org_settings"), StageRules, "rapport.org_settings.rules", oneOrgSettings)
	bind(app.OnRecordDeleteExecute("org_settings"), StageRules, "rapport.org_settings.rules", keepOrgSettings)
	bind(app.OnRecordDeleteExecute("tier_policies"), StageRules, "rapport.tier_policies.rules", keepTierPolicy)
}

func oneOrgSettings(e *core.RecordEvent) error {
	n, err := e.App.CountRecords("org_settings")
	if err != nil {
		return err
	}
	if n > 0 {
		return violation.New("id", "locked", "There is exactly one org settings record; edit it instead of adding another.")
	}
	return e.Next()
}

func keepOrgSettings(e *core.RecordEvent) error {
	return violation.New("id", "locked", "The org settings cannot be deleted; edit them instead.")
}

// keepTierPolicy: every tier (A–D, a fixed list) needs its policy: without
// it, its customers would pass with no limits and re-tier on their next
// edit.
func keepTierPolicy(e *core.RecordEvent) error {
	return violation.New("id", "locked", "Tier %s's policy cannot be deleted: every tier needs one, and its customers' limits come from it. Edit its values instead.", e.Record.GetString("tier"))
}
