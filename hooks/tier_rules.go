package hooks

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/org"
)

// bindTiers re-tiers customers when a tier policy's min_annual_contract
// changes: a customer's tier is computed from its annual contract and the
// minimums (unless tier_locked), so a new minimum moves customers between
// tiers at once rather than at their next edit. Each moved customer is
// saved in the policy's transaction, audited as the admin who changed the
// policy, and synced like any edit.
func bindTiers(app core.App) {
	bind(app.OnRecordUpdate("tier_policies"), StageConsequences, "rapport.tier_policies.retier", retierAfterUpdate)
}

func retierAfterUpdate(e *core.RecordEvent) error {
	before := e.Record.Original().GetInt("min_annual_contract")
	if err := e.Next(); err != nil {
		return err
	}
	if e.Record.GetInt("min_annual_contract") == before {
		return nil
	}
	return retier(e.App, e.Record)
}

// retier saves every unlocked customer whose computed tier differs from
// its stored one (the customer hook computes it on save).
func retier(app core.App, cause *core.Record) error {
	tiers, err := org.LoadTiers(app) // the policy write bypasses the cache: the new minimums
	if err != nil {
		return err
	}
	customers, err := app.FindAllRecords("customers", dbx.HashExp{"tier_locked": false})
	if err != nil {
		return err
	}
	for _, c := range customers {
		if c.GetString("tier") == org.TierFor(tiers, int64(c.GetInt("annual_contract_amount"))) {
			continue
		}
		causedBy(c, cause)
		if err := app.Save(c); err != nil {
			return err
		}
	}
	return nil
}
