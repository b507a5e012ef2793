package migrations_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/org"
	"rapport/internal/testkit"
)

// The care migration: the settings' defaults (the spec's follow-ups, the
// seeded holidays with unpublished years marked), the complaints
// collection, and the customers' visit figures backfilled.
func TestCareMigration(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	s, err := app.FindFirstRecordByFilter("org_settings", "")
	if err != nil {
		t.Fatal(err)
	}
	var followups []map[string]any
	_ = json.Unmarshal([]byte(s.GetString("followup_offsets")), &followups)
	if len(followups) != 4 || followups[3]["every_days"] != 365.0 || followups[1]["from_days"] != 120.0 || followups[1]["label"] != "4–6 months" {
		t.Errorf("followup_offsets %s", s.GetString("followup_offsets"))
	}
	if s.GetInt("care_lead_days") != 7 || s.GetInt("complaint_response_hours") != 24 {
		t.Errorf("care_lead_days %d, complaint_response_hours %d", s.GetInt("care_lead_days"), s.GetInt("complaint_response_hours"))
	}
	var holidays []map[string]any
	_ = json.Unmarshal([]byte(s.GetString("holidays")), &holidays)
	names := map[string]bool{}
	for _, h := range holidays {
		date, _ := h["date"].(string)
		names[h["name"].(string)] = true
		if official := strings.HasPrefix(date, "2026"); official == (h["unofficial"] == true) {
			t.Errorf("holiday %v: 2026 is published, 2027 is not", h)
		}
	}
	if len(holidays) > 0 && len(names) != 7 {
		t.Errorf("holidays %v", names)
	}
	if parsed, problems := org.Holidays(s.GetString("holidays")); len(problems) != 0 || len(parsed) != len(holidays) {
		t.Errorf("seeded holidays do not read: %v", problems)
	}
	complaints, err := app.FindCollectionByNameOrId("complaints")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields("customer channel severity summary details received_at status first_response resolution owner team response_due responded_at resolved_at breached version") {
		if complaints.Fields.GetByName(f) == nil {
			t.Errorf("complaints.%s is missing", f)
		}
	}

	// visits recorded before the migration: the figures are backfilled
	acme := o.Customers["rita"]
	for i, rating := range []int{4, 2} {
		testkit.MustCreate(t, app, o.Users["rita"], "visits", map[string]any{"customer": acme.Id, "status": "done",
			"started_at": testkit.Day(-10+i) + " 03:00:00.000Z", "satisfaction": rating})
	}
	if _, err := app.DB().Update("customers", dbx.Params{"last_visit_at": "", "next_visit_due": "", "satisfaction_avg": 0}, nil).Execute(); err != nil {
		t.Fatal(err)
	}
	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	since := 0
	for _, m := range core.AppMigrations.Items() {
		if m.File >= "1700000040" {
			since++
		}
	}
	if _, err := runner.Down(since); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Up(); err != nil {
		t.Fatal(err)
	}
	got, _ := app.FindRecordById("customers", acme.Id)
	if got.GetString("last_visit_at") != testkit.Day(-9)+" 03:00:00.000Z" || got.GetFloat("satisfaction_avg") != 3 || got.GetString("next_visit_due") != testkit.Day(51) {
		t.Errorf("backfilled: last_visit_at %s, satisfaction_avg %v, next_visit_due %s", got.GetString("last_visit_at"), got.GetFloat("satisfaction_avg"), got.GetString("next_visit_due"))
	}
}
