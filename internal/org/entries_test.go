package org_test

import (
	"reflect"
	"testing"

	"github.com/pocketbase/dbx"

	"rapport/internal/org"
	"rapport/internal/testkit"
)

// A JSON setting is read entry by entry: one that cannot be read is left
// out and reported, the others apply.
func TestEntriesAreReadOneByOne(t *testing.T) {
	limits, problems := org.Limits(`{"meal":"1000","gift":50000,"event":1000.7,"travel":-1,"transport":null,"other":1e3,"entertainment":9007199254740993}`)
	if want := map[string]int64{"gift": 50000, "other": 1000}; !reflect.DeepEqual(limits, want) || len(problems) != 5 {
		t.Errorf("limits %v, problems %+v", limits, problems)
	}
	for _, raw := range []string{"", "null", `""`, "{}"} {
		if limits, problems := org.Limits(raw); len(limits) != 0 || problems != nil {
			t.Errorf("Limits(%s) = %v, %+v", raw, limits, problems)
		}
	}
	for _, raw := range []string{`"garbage"`, "[1]", "5", "not json"} {
		if limits, problems := org.Limits(raw); limits != nil || len(problems) != 1 || problems[0].Entry != "" {
			t.Errorf("Limits(%s) = %v, %+v", raw, limits, problems)
		}
	}

	names, problems := org.Entitlements(`["holiday_gift", 3, "", "birthday_card", null]`)
	if !reflect.DeepEqual(names, []string{"holiday_gift", "birthday_card"}) || len(problems) != 3 || problems[0].Entry != "2" {
		t.Errorf("entitlements %v, problems %+v", names, problems)
	}

	offsets, problems := org.Offsets(`[{"label":"1 week","from_days":7,"to_days":7},{"from_days":"7","to_days":9},{"from_days":30,"to_days":20},5,` +
		`{"from_days":120,"to_days":180,"lead_days":30,"note":"x"},{"to_days":3},{"label":"yearly","every_days":365},{"every_days":0},{"label":3,"every_days":5}]`)
	want := []org.Offset{{Label: "1 week", FromDays: 7, ToDays: 7, LeadDays: 14}, {FromDays: 120, ToDays: 180, LeadDays: 30},
		{Label: "yearly", EveryDays: 365, LeadDays: 14}}
	if !reflect.DeepEqual(offsets, want) || len(problems) != 6 {
		t.Errorf("offsets %v, problems %+v", offsets, problems)
	}
	if p := problems[0]; p.Entry != "2" || p.Key != "from_days" {
		t.Errorf("first offset problem %+v", p)
	}

	holidays, problems := org.Holidays(`[{"name":"春节","date":"2027-02-05","unofficial":true},{"name":"","date":"2027-01-01"},{"name":"x","date":"2027-13-01"},7]`)
	if want := []org.Holiday{{Name: "春节", Date: "2027-02-05"}}; !reflect.DeepEqual(holidays, want) || len(problems) != 3 || problems[1].Key != "date" {
		t.Errorf("holidays %v, problems %+v", holidays, problems)
	}
}

// Stored values that cannot all be read (written in SQL, or before writes
// were checked) keep the entries that can.
func TestStoredSettingsKeepWhatReads(t *testing.T) {
	app := testkit.NewApp(t)
	if _, err := app.DB().Update("tier_policies", dbx.Params{"category_limits": `{"meal":"1000","gift":50000}`, "care_entitlements": `["holiday_gift",7]`}, dbx.HashExp{"tier": "B"}).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := app.DB().Update("org_settings", dbx.Params{"followup_offsets": `[{"from_days":"7","to_days":7},{"from_days":120,"to_days":180}]`}, nil).Execute(); err != nil {
		t.Fatal(err)
	}
	tiers, err := org.LoadTiers(app)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := org.Find(tiers, "B")
	if !reflect.DeepEqual(b.CategoryLimits, map[string]int64{"gift": 50000}) || !reflect.DeepEqual(b.CareEntitlements, []string{"holiday_gift"}) {
		t.Errorf("tier B: limits %v, entitlements %v", b.CategoryLimits, b.CareEntitlements)
	}
	if a, _ := org.Find(tiers, "A"); a.CategoryLimits["meal"] != 200_000 {
		t.Errorf("tier A limits %v", a.CategoryLimits)
	}
	s, err := org.LoadSettings(app)
	if err != nil {
		t.Fatal(err)
	}
	if want := []org.Offset{{FromDays: 120, ToDays: 180, LeadDays: 14}}; !reflect.DeepEqual(s.FollowupOffsets, want) {
		t.Errorf("followup offsets %v", s.FollowupOffsets)
	}
}
