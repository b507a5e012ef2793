package migrations

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Default tier policies. Amounts are minor units (fen): A-tier customers
// have at least 1,000,000 yuan of annual contracts.
var defaultPolicies = []map[string]any{
	{"tier": "A", "label": "Strategic", "min_annual_contract": 100_000_000, "visit_interval_days": 30, "visit_window_days": 5,
		"annual_care_cap": 2_000_000, "category_limits": map[string]int{"meal": 200_000, "gift": 300_000, "event": 1_000_000, "travel": 500_000, "entertainment": 200_000},
		"care_entitlements": []string{"annual_trip", "holiday_gift", "birthday_card"}},
	{"tier": "B", "label": "Key", "min_annual_contract": 30_000_000, "visit_interval_days": 60, "visit_window_days": 7,
		"annual_care_cap": 800_000, "category_limits": map[string]int{"meal": 100_000, "gift": 100_000, "event": 300_000, "travel": 200_000, "entertainment": 100_000},
		"care_entitlements": []string{"holiday_gift", "birthday_card"}},
	{"tier": "C", "label": "Regular", "min_annual_contract": 5_000_000, "visit_interval_days": 120, "visit_window_days": 14,
		"annual_care_cap": 200_000, "category_limits": map[string]int{"meal": 50_000, "gift": 30_000, "event": 100_000, "entertainment": 50_000},
		"care_entitlements": []string{"greeting_card"}},
	{"tier": "D", "label": "Basic", "min_annual_contract": 0, "visit_interval_days": 365, "visit_window_days": 30,
		"annual_care_cap": 50_000, "category_limits": map[string]int{"meal": 30_000, "gift": 10_000},
		"care_entitlements": []string{}},
}

var defaultOrgSettings = map[string]any{
	"currency": "CNY", "timezone": "Asia/Shanghai",
	"receipt_required_over": 20_000, "max_age_days": 60, "future_tolerance_hours": 14,
	"auto_approve_under": 0, "plan_on_exceed": "stop",
	"geofence_radius_m": 500, "geofence_mode": "flag",
	"followup_offsets":      []map[string]int{{"from": 7, "to": 7}, {"from": 120, "to": 180}, {"from": 300, "to": 365}},
	"approval_digest_hours": 12, "sync_retention_days": 90,
}

func init() {
	m.Register(func(app core.App) error {
		for _, p := range defaultPolicies {
			if err := insert(app, "tier_policies", p); err != nil {
				return err
			}
		}
		if err := insert(app, "org_settings", defaultOrgSettings); err != nil {
			return err
		}

		settings := app.Settings()
		settings.Meta.AppName = "Rapport"
		settings.Batch.Enabled = true
		settings.Batch.MaxRequests = 100
		settings.Backups.Cron = "0 3 * * *"
		settings.Backups.CronMaxKeep = 7
		// Rate-limit only what brute force targets; sync and REST traffic
		// from busy offline devices must not be throttled.
		settings.RateLimits.Enabled = true
		settings.RateLimits.Rules = []core.RateLimitRule{
			{Label: "*:auth", MaxRequests: 10, Duration: 60},
			{Label: "*:requestPasswordReset", MaxRequests: 3, Duration: 300},
			{Label: "*:requestVerification", MaxRequests: 3, Duration: 300},
			{Label: "*:requestOTP", MaxRequests: 3, Duration: 300},
		}
		return app.Save(settings)
	}, func(app core.App) error {
		for _, name := range []string{"tier_policies", "org_settings"} {
			if _, err := app.DB().NewQuery("DELETE FROM {{" + name + "}}").Execute(); err != nil {
				return err
			}
		}
		return nil
	})
}

// insert writes a seed record with plain SQL: migrations must not depend on
// the record hooks of the running program (which may need tables that later
// migrations create). The defaults are the starting state, not audited edits.
func insert(app core.App, collection string, data map[string]any) error {
	c, err := app.FindCollectionByNameOrId(collection)
	if err != nil {
		return err
	}
	r := core.NewRecord(c)
	r.Load(data)
	now := types.NowDateTime()
	r.Load(map[string]any{"id": core.GenerateDefaultRandomId(), "version": 1})
	r.SetRaw("created", now)
	r.SetRaw("updated", now)
	row, err := r.DBExport(app)
	if err != nil {
		return err
	}
	_, err = app.DB().Insert(c.Name, dbx.Params(row)).Execute()
	return err
}
