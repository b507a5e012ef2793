package org_test

import (
	"os/exec"
	"slices"
	"strings"
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
	if err := testkit.Save(app, nil, rec); err != nil {
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
	if err := testkit.Save(app, nil, b); err != nil {
		t.Fatal(err)
	}
	if tiers, _ := org.LoadTiers(app); org.TierFor(tiers, testkit.Yuan(400_000)) != "A" {
		t.Fatal("tier policy edit not seen by the next read")
	}
}

// Zone names an IANA zone; the server's own zone and "" are not one.
func TestZone(t *testing.T) {
	for _, name := range []string{"Asia/Shanghai", "Europe/Berlin", "UTC"} {
		if z, err := org.Zone(name); err != nil || z.String() != name {
			t.Errorf("Zone(%q) = %v, %v", name, z, err)
		}
	}
	for _, name := range []string{"", "Local", "Mars/Olympus"} {
		if _, err := org.Zone(name); err == nil {
			t.Errorf("Zone(%q) accepted", name)
		}
	}
}

// The program carries the tz database, so a valid zone loads on a machine
// without /usr/share/zoneinfo (a minimal container).
func TestProgramCarriesTZData(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "rapport").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if !slices.Contains(strings.Fields(string(out)), "time/tzdata") {
		t.Error("rapport does not link time/tzdata")
	}
}
