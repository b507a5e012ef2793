package hooks

import (
	"time"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/org"
	"rapport/internal/schedule"
	"rapport/internal/violation"
)

// A visit is the rep's own record (the rep who owns its customer), with
// its team. Once written, a done visit moves its customer's figures (last
// visit, satisfaction, first location) and a check-in outside the geofence
// flags that day's expenses (docs/care.md). The check-in itself is judged
// in visit_checkin.go.
func bindVisits(app core.App) {
	bind(app.OnRecordCreateExecute("visits"), StageOwner, "rapport.visits.owner", deriveVisitOwner)
	bind(app.OnRecordUpdateExecute("visits"), StageOwner, "rapport.visits.owner", deriveVisitOwner)
	bind(app.OnRecordCreate("visits"), StageConsequences, "rapport.visits.consequences", afterVisitCreate)
	bind(app.OnRecordUpdate("visits"), StageConsequences, "rapport.visits.consequences", afterVisitUpdate)
	bind(app.OnRecordDelete("visits"), StageConsequences, "rapport.visits.consequences", afterVisitDelete)
}

// deriveVisitOwner gives a visit its customer's owner as rep, and the
// rep's team; nobody else edits it.
func deriveVisitOwner(e *core.RecordEvent) error {
	v := e.Record
	if !v.IsNew() {
		if err := onlyOwnerEdits(v, "rep"); err != nil { // a visit is the rep's own record
			return err
		}
	}
	if err := ownerFromCustomer(e.App, v); err != nil {
		return err
	}
	if v.IsNew() {
		setDefault(v, "status", "scheduled")
		setDefault(v, "kind", "visit")
		setDefault(v, "source", "manual")
	}
	if err := samePlanCustomer(e.App, v); err != nil {
		return err
	}
	return deriveTeam(e, "rep")
}

func samePlanCustomer(app core.App, v *core.Record) error {
	planId := v.GetString("plan")
	if planId == "" {
		return nil
	}
	plan, err := app.FindRecordById("plans", planId)
	if err != nil || plan.GetString("customer") != v.GetString("customer") {
		return violation.New("plan", "customer_mismatch", "The plan is for a different customer than the visit.")
	}
	return nil
}

func afterVisitCreate(e *core.RecordEvent) error {
	if err := e.Next(); err != nil {
		return err
	}
	return visitConsequences(e.App, nil, e.Record)
}

func afterVisitUpdate(e *core.RecordEvent) error {
	old := e.Record.Original()
	if err := e.Next(); err != nil {
		return err
	}
	return visitConsequences(e.App, old, e.Record)
}

// afterVisitDelete: a deleted done visit no longer counts for its customer.
func afterVisitDelete(e *core.RecordEvent) error {
	if err := e.Next(); err != nil {
		return err
	}
	if e.Record.GetString("status") != "done" {
		return nil
	}
	return refreshCustomer(e.App, e.Record, false)
}

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
