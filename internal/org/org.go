// Package org reads the organisation-wide configuration: the org_settings
// singleton and the tier policies. Both are read inside the caller's
// transaction on every use, so dashboard edits take effect at once.
package org

import (
	"fmt"
	"time"
	_ "time/tzdata" // a valid zone loads on a machine without /usr/share/zoneinfo

	"github.com/pocketbase/pocketbase/core"
)

// DefaultTimezone is the org time zone when org_settings names none (the
// migrations' default, which tests keep).
const DefaultTimezone = "Asia/Shanghai"

// Settings mirrors the org_settings record.
type Settings struct {
	Currency             string
	Location             *time.Location
	ReceiptRequiredOver  int64
	MaxAgeDays           int
	FutureToleranceHours int
	AutoApproveUnder     int64
	PlanOnExceed         string
	GeofenceRadiusM      float64
	GeofenceMode         string
	FollowupOffsets      []Offset
	ApprovalDigestHours  int
	SyncRetentionDays    int
	Holidays             []Holiday
	CareLeadDays         int
	// ComplaintResponseHours is how long after received_at a complaint
	// must have its first response.
	ComplaintResponseHours int
	PlanGraceDays          int // days after period_end a plan takes claims dated inside it
	LateSubmissionDays     int // days after incurred_on a submit is flagged late_submission
}

// Offset is one after-purchase follow-up, in days after customer_since: a
// window FromDays..ToDays, or (EveryDays > 0) a day repeating every
// EveryDays. Its task appears LeadDays before the window opens.
type Offset struct {
	Label     string
	FromDays  int
	ToDays    int
	EveryDays int
	LeadDays  int
}

// Holiday is one entry of org_settings.holidays.
type Holiday struct {
	Name string
	Date string // YYYY-MM-DD
}

// LoadSettings returns the org_settings singleton, falling back to the
// documented defaults for anything unset. The result is shared: read only.
func LoadSettings(app core.App) (*Settings, error) {
	return cached(app, func(c *entry) *Settings { return c.settings },
		func(c *entry, s *Settings) { c.settings = s },
		func() (*Settings, error) { return loadSettings(app) })
}

func loadSettings(app core.App) (*Settings, error) {
	r, err := app.FindFirstRecordByFilter("org_settings", "")
	if err != nil {
		return nil, err
	}
	s := &Settings{
		Currency:             orDefault(r.GetString("currency"), "CNY"),
		ReceiptRequiredOver:  int64(r.GetInt("receipt_required_over")),
		MaxAgeDays:           r.GetInt("max_age_days"),
		FutureToleranceHours: r.GetInt("future_tolerance_hours"),
		AutoApproveUnder:     int64(r.GetInt("auto_approve_under")),
		PlanOnExceed:         orDefault(r.GetString("plan_on_exceed"), "stop"),
		GeofenceRadiusM:      r.GetFloat("geofence_radius_m"),
		GeofenceMode:         orDefault(r.GetString("geofence_mode"), "off"),
		ApprovalDigestHours:  r.GetInt("approval_digest_hours"),
		SyncRetentionDays:    r.GetInt("sync_retention_days"),
		PlanGraceDays:        r.GetInt("plan_grace_days"),
		LateSubmissionDays:   r.GetInt("late_submission_days"),
	}
	if s.MaxAgeDays == 0 {
		s.MaxAgeDays = 60
	}
	if s.SyncRetentionDays == 0 {
		s.SyncRetentionDays = 90
	}
	s.CareLeadDays = r.GetInt("care_lead_days") // 0 is allowed: on the day itself
	if s.ComplaintResponseHours = r.GetInt("complaint_response_hours"); s.ComplaintResponseHours == 0 {
		s.ComplaintResponseHours = 24
	}
	s.Holidays = readHolidays(app, r.GetString("holidays"))
	tz := orDefault(r.GetString("timezone"), DefaultTimezone)
	if s.Location, err = Zone(tz); err != nil {
		// stored before writes were checked: say so rather than shift every day silently
		app.Logger().Error("org_settings.timezone is not a time zone; days are counted in UTC", "timezone", tz, "error", err)
		s.Location = time.UTC
	}
	s.FollowupOffsets = readOffsets(app, r.GetString("followup_offsets"))
	return s, nil
}

// Zone is the IANA time zone called name. "Local" (whatever zone the
// server runs in) and "" (UTC, to time.LoadLocation) name no zone.
func Zone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	return time.LoadLocation(name)
}

// Today is the current day (YYYY-MM-DD) in the org time zone.
func (s *Settings) Today(now time.Time) string {
	return now.In(s.Location).Format(DayLayout)
}

// DayLayout is the layout of day fields.
const DayLayout = "2006-01-02"

// ParseDay parses a YYYY-MM-DD day in the org time zone (midnight).
func (s *Settings) ParseDay(day string) (time.Time, error) {
	return time.ParseInLocation(DayLayout, day, s.Location)
}

// Tier is one tier policy.
type Tier struct {
	Tier              string
	MinAnnualContract int64
	VisitIntervalDays int
	VisitWindowDays   int
	AnnualCareCap     int64
	CategoryLimits    map[string]int64
	CareEntitlements  []string
}

// LoadTiers returns every tier policy, highest minimum first. The result
// is shared: read only.
func LoadTiers(app core.App) ([]Tier, error) {
	return cached(app, func(c *entry) []Tier { return c.tiers },
		func(c *entry, t []Tier) { c.tiers = t },
		func() ([]Tier, error) { return loadTiers(app) })
}

func loadTiers(app core.App) ([]Tier, error) {
	records, err := app.FindRecordsByFilter("tier_policies", "", "-min_annual_contract", 0, 0)
	if err != nil {
		return nil, err
	}
	tiers := make([]Tier, 0, len(records))
	for _, r := range records {
		t := Tier{
			Tier:              r.GetString("tier"),
			MinAnnualContract: int64(r.GetInt("min_annual_contract")),
			VisitIntervalDays: r.GetInt("visit_interval_days"),
			VisitWindowDays:   r.GetInt("visit_window_days"),
			AnnualCareCap:     int64(r.GetInt("annual_care_cap")),
		}
		t.CategoryLimits = readLimits(app, t.Tier, r.GetString("category_limits"))
		t.CareEntitlements = readEntitlements(app, t.Tier, r.GetString("care_entitlements"))
		tiers = append(tiers, t)
	}
	return tiers, nil
}

// TierFor is the highest tier whose minimum annual contract is met ("" when
// no policy matches).
func TierFor(tiers []Tier, annualContract int64) string {
	for _, t := range tiers {
		if annualContract >= t.MinAnnualContract {
			return t.Tier
		}
	}
	return ""
}

// Find returns the policy of tier, if any.
func Find(tiers []Tier, tier string) (Tier, bool) {
	for _, t := range tiers {
		if t.Tier == tier {
			return t, true
		}
	}
	return Tier{}, false
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
