package org_test

import (
	"testing"

	"rapport/internal/org"
	"rapport/internal/testkit"
)

// A dashboard edit of the settings or a tier policy is seen by the very next read.
func TestEditsTakeEffectAtOnce(t *testing.T) {
	app := testkit.NewApp(t)
	s, err := org.LoadSettings(app)
	if err != nil || s.Currency != "CNY" || s.Location.String() != "Asia/Shanghai" || s.MaxAgeDays != 60 {
		t.Fatalf("defaults: %+v %v", s, err)
	}
	rec, _ := app.FindFirstRecordByFilter("org_settings", "")
	rec.Set("max_age_days", 30)
	if err := app.Save(rec); err != nil {
		t.Fatal(err)
	}
	if s, _ := org.LoadSettings(app); s.MaxAgeDays != 30 {
		t.Fatalf("max_age_days after edit = %d, want 30", s.MaxAgeDays)
	}

	tiers, _ := org.LoadTiers(app)
	if got := org.TierFor(tiers, testkit.Yuan(400_000)); got != "B" {
		t.Fatalf("tier for 400,000 yuan = %q, want B", got)
	}
	b, _ := app.FindFirstRecordByFilter("tier_policies", "tier = 'A'")
	b.Set("min_annual_contract", testkit.Yuan(300_000))
	if err := app.Save(b); err != nil {
		t.Fatal(err)
	}
	if tiers, _ := org.LoadTiers(app); org.TierFor(tiers, testkit.Yuan(400_000)) != "A" {
		t.Fatal("tier policy edit not seen by the next read")
	}
}
