package hooks

import (
	"fmt"
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/geo"
	"rapport/internal/org"
	"rapport/internal/schedule"
	"rapport/internal/violation"
)

// A visit's check-in (docs/care.md): its times must be possible, and it is
// judged against the customer's location — verified, outside the
// geofence (refused or flagged, org_settings.geofence_mode), no fix or no
// customer location. Points are WGS-84 by then (StageLocation).
func bindCheckin(app core.App) {
	bind(app.OnRecordCreateExecute("visits"), StageCare, "rapport.visits.checkin", checkIn)
	bind(app.OnRecordUpdateExecute("visits"), StageCare, "rapport.visits.checkin", checkIn)
}

func checkIn(e *core.RecordEvent) error {
	if err := checkVisitTimes(e.App, e.Record); err != nil {
		return err
	}
	if err := judgeCheckin(e.App, e.Record); err != nil {
		return err
	}
	return e.Next()
}

// checkVisitTimes refuses device times that cannot be: an end before the
// start, or either later than now plus future_tolerance_hours.
func checkVisitTimes(app core.App, v *core.Record) error {
	started, ended := v.GetDateTime("started_at"), v.GetDateTime("ended_at")
	if !started.IsZero() && !ended.IsZero() && ended.Before(started) {
		return violation.New("ended_at", "ended_before_started", "The visit ends (%s) before it starts (%s). Check the device's clock and the times entered.",
			ended.Time().Format(time.DateTime), started.Time().Format(time.DateTime))
	}
	s, err := org.LoadSettings(app)
	if err != nil {
		return err
	}
	limit := time.Now().Add(time.Duration(s.FutureToleranceHours) * time.Hour)
	for _, f := range []string{"started_at", "ended_at"} {
		t := v.GetDateTime(f)
		if !t.IsZero() && t.Time().After(limit) && !sameValue(t, v.Original().GetDateTime(f)) {
			return violation.New(f, "visit_in_future", "%s is %s, in the future: a visit's times may be at most %d hours ahead of now. Check the device's clock.",
				f, t.Time().In(s.Location).Format(time.DateTime), s.FutureToleranceHours)
		}
	}
	return nil
}

// judgeCheckin computes checkin_distance_m and checkin_result when a visit
// is in progress or done and its check-in is new or moved.
func judgeCheckin(app core.App, v *core.Record) error {
	status := v.GetString("status")
	if status != "in_progress" && status != "done" {
		return nil
	}
	original := v.Original()
	judged := !v.IsNew() && v.GetString("checkin_result") != "" &&
		sameValue(v.GetGeoPoint("checkin_location"), original.GetGeoPoint("checkin_location")) &&
		sameValue(v.Get("checkin_accuracy_m"), original.Get("checkin_accuracy_m"))
	if judged {
		return nil
	}
	s, err := org.LoadSettings(app)
	if err != nil {
		return err
	}
	customer, err := app.FindRecordById("customers", v.GetString("customer"))
	if err != nil {
		return err
	}
	result, distance := checkin(s, customer.GetGeoPoint("location"), v.GetGeoPoint("checkin_location"), v.GetFloat("checkin_accuracy_m"))
	if result == "outside" && s.GeofenceMode == "block" {
		return violation.New("checkin_location", "outside_geofence", "You are %s m from %s, farther than the geofence of %s m. Check in at the customer's site.",
			metres(distance), customer.GetString("name"), metres(s.GeofenceRadiusM))
	}
	v.Set("checkin_result", result)
	v.Set("checkin_distance_m", float64(int(distance+0.5)))
	return nil
}

// checkin judges a check-in at point (accuracy in metres, 0 unknown)
// against the customer's location.
func checkin(s *org.Settings, customer, point types.GeoPoint, accuracy float64) (string, float64) {
	switch {
	case point.Lon == 0 && point.Lat == 0, s.GeofenceRadiusM > 0 && accuracy > s.GeofenceRadiusM:
		return "no_fix", 0
	case customer.Lon == 0 && customer.Lat == 0:
		return "no_customer_location", 0
	}
	d := geo.Distance(customer.Lon, customer.Lat, point.Lon, point.Lat)
	if d <= s.GeofenceRadiusM {
		return "verified", d
	}
	return "outside", d
}

func metres(m float64) string { return fmt.Sprintf("%.0f", m) }

// offsiteFlag marks expenses at a customer on a day whose check-in there
// was outside the geofence (geofence_mode flag).
const offsiteFlag = "offsite_checkin"

// offsiteOn reports whether a check-in at customer on day was outside the
// geofence: the submit-time flag and flagOffsite agree through it.
func offsiteOn(app core.App, s *org.Settings, customerId, day string) (bool, error) {
	if s.GeofenceMode != "flag" {
		return false, nil
	}
	from, to, err := dayBounds(s, day)
	if err != nil {
		return false, err
	}
	var n int
	err = app.DB().Select("COUNT(*)").From("visits").
		Where(dbx.HashExp{"customer": customerId, "checkin_result": "outside"}).
		AndWhere(dbx.NewExp("(started_at >= {:from} AND started_at < {:to}) OR (started_at = '' AND due_date = {:day})",
			dbx.Params{"from": from, "to": to, "day": day})).
		Limit(1).Row(&n)
	return n > 0, err
}

// dayBounds are the instants (as stored) where an org-local day starts and ends.
func dayBounds(s *org.Settings, day string) (string, string, error) {
	start, err := s.ParseDay(day)
	if err != nil {
		return "", "", err
	}
	from, _ := types.ParseDateTime(start)
	to, _ := types.ParseDateTime(start.AddDate(0, 0, 1))
	return from.String(), to.String(), nil
}

// flagOffsite adds offsite_checkin to the submitted expenses at the visit's
// customer on its day; drafts get it when they are submitted.
func flagOffsite(app core.App, v *core.Record) error {
	s, err := org.LoadSettings(app)
	if err != nil || s.GeofenceMode != "flag" {
		return err
	}
	day := s.Today(schedule.VisitedAt(s, v).Time())
	expenses, err := app.FindAllRecords("expenses", dbx.HashExp{"customer": v.GetString("customer"), "incurred_on": day},
		dbx.Not(dbx.HashExp{"status": "draft"}))
	if err != nil {
		return err
	}
	for _, x := range expenses {
		flags := x.GetStringSlice("flags")
		if slices.Contains(flags, offsiteFlag) {
			continue
		}
		flags = append(flags, offsiteFlag)
		slices.Sort(flags)
		x.Set("flags", flags)
		causedBy(x, v)
		if err := app.Save(x); err != nil {
			return err
		}
	}
	return nil
}
