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

// The care programme's rules on visits and customers (docs/care.md):
// coordinates written in a Chinese map datum are stored as WGS-84, a
// check-in is judged against the customer's location, and the customer's
// visit figures follow its done visits. The daily job is internal/schedule.

func init() {
	// which occasion a generated task is for: the schedule job's key
	ServerFields["visits"] = append(ServerFields["visits"], "occasion")
}

// locatedFields are the point each collection's location_crs speaks of.
var locatedFields = map[string]string{"customers": "location", "visits": "checkin_location"}

func bindCare(app core.App) {
	for collection, field := range locatedFields {
		toWGS84 := func(e *core.RecordEvent) error {
			convertLocation(e.Record, field)
			return e.Next()
		}
		app.OnRecordCreateExecute(collection).BindFunc(toWGS84)
		app.OnRecordUpdateExecute(collection).BindFunc(toWGS84)
	}

	checkin := func(e *core.RecordEvent) error {
		if err := checkVisitTimes(e.App, e.Record); err != nil {
			return err
		}
		if err := judgeCheckin(e.App, e.Record); err != nil {
			return err
		}
		return e.Next()
	}
	app.OnRecordCreateExecute("visits").BindFunc(checkin)
	app.OnRecordUpdateExecute("visits").BindFunc(checkin)

	afterVisit := func(e *core.RecordEvent, old *core.Record) error {
		if err := e.Next(); err != nil {
			return err
		}
		return visitConsequences(e.App, old, e.Record)
	}
	app.OnRecordCreate("visits").BindFunc(func(e *core.RecordEvent) error { return afterVisit(e, nil) })
	app.OnRecordUpdate("visits").BindFunc(func(e *core.RecordEvent) error { return afterVisit(e, e.Record.Original()) })
	app.OnRecordDelete("visits").BindFunc(func(e *core.RecordEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		if e.Record.GetString("status") != "done" {
			return nil
		}
		return refreshCustomer(e.App, e.Record, false)
	})

	// next_visit_due follows the customer's last visit, customer_since and tier
	nextDue := func(e *core.RecordEvent) error {
		s, err := org.LoadSettings(e.App)
		if err != nil {
			return err
		}
		tiers, err := org.LoadTiers(e.App)
		if err != nil {
			return err
		}
		e.Record.Set("next_visit_due", schedule.NextVisitDue(s, tiers, e.Record))
		return e.Next()
	}
	app.OnRecordCreateExecute("customers").BindFunc(nextDue)
	app.OnRecordUpdateExecute("customers").BindFunc(nextDue)
	// a done visit moves the cadence; a customer no longer active has its
	// generated visits cancelled (and an active one again gets its cadence)
	app.OnRecordUpdate("customers").BindFunc(func(e *core.RecordEvent) error {
		original := e.Record.Original()
		if err := e.Next(); err != nil {
			return err
		}
		if original.GetString("status") == e.Record.GetString("status") &&
			sameValue(original.Get("last_visit_at"), e.Record.Get("last_visit_at")) {
			return nil
		}
		return schedule.Customer(e.App, e.Record.Id)
	})
}

// convertLocation stores a point written in GCJ-02 or BD-09 as WGS-84;
// location_crs then says wgs84. Only a point this write sets is converted:
// the stored one already is WGS-84.
func convertLocation(r *core.Record, field string) {
	crs := r.GetString("location_crs")
	p := r.GetGeoPoint(field)
	if p.Lon == 0 && p.Lat == 0 {
		return
	}
	if !r.IsNew() && sameValue(p, r.Original().GetGeoPoint(field)) {
		if crs != "" {
			r.Set("location_crs", "wgs84")
		}
		return
	}
	p.Lon, p.Lat = geo.ToWGS84(crs, p.Lon, p.Lat)
	r.Set(field, p)
	r.Set("location_crs", "wgs84")
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

// visitConsequences updates what a visit write changes elsewhere: the
// customer's figures and first location, and the offsite flag of that
// day's expenses.
func visitConsequences(app core.App, old, v *core.Record) error {
	done := v.GetString("status") == "done"
	wasDone := old != nil && old.GetString("status") == "done"
	changed := old == nil || changedFields(v, old, []string{"status", "started_at", "due_date", "satisfaction", "survey_rating", "customer"}) != nil
	locate := v.GetString("checkin_result") == "no_customer_location" && (old == nil || old.GetString("checkin_result") != "no_customer_location")
	if ((done || wasDone) && changed) || locate {
		if err := refreshCustomer(app, v, locate); err != nil {
			return err
		}
	}
	if old != nil && old.GetString("customer") != v.GetString("customer") && wasDone {
		if err := refreshCustomer(app, old, false); err != nil {
			return err
		}
	}
	if v.GetString("checkin_result") == "outside" && (old == nil || old.GetString("checkin_result") != "outside") {
		return flagOffsite(app, v)
	}
	return nil
}

// refreshCustomer recomputes the customer's visit figures after a write of
// visit v and, when locate, gives it v's check-in as its location if it
// still has none. Unchanged customers are not saved.
func refreshCustomer(app core.App, v *core.Record, locate bool) error {
	s, err := org.LoadSettings(app)
	if err != nil {
		return err
	}
	c, err := app.FindRecordById("customers", v.GetString("customer"))
	if err != nil {
		return nil // deleted with its customer
	}
	st, err := schedule.CustomerStats(app, s, c.Id, time.Now())
	if err != nil {
		return err
	}
	c.Set("last_visit_at", st.LastVisitAt)
	c.Set("satisfaction_avg", st.SatisfactionAvg)
	if p := c.GetGeoPoint("location"); locate && p.Lon == 0 && p.Lat == 0 {
		c.Set("location", v.GetGeoPoint("checkin_location"))
	}
	if firstChange(c) == "id" {
		return nil
	}
	causedBy(c, v)
	return app.Save(c)
}

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
