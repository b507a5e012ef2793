package migrations

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/org"
	"rapport/internal/schedule"
)

// The care programme (docs/care.md): the settings of the daily schedule job
// and of complaints, the visits' occasion key, the coordinate system a
// location is written in, the complaints collection, and the customers'
// visit figures backfilled from the visits already recorded.
func init() {
	m.Register(careUp, careDown)
}

// defaultFollowups is the spec's default followup_offsets. The older
// default (three {from, to} windows, no yearly call) is replaced by it.
var defaultFollowups = []map[string]any{
	{"label": "1 week", "from_days": 7, "to_days": 7},
	{"label": "4–6 months", "from_days": 120, "to_days": 180},
	{"label": "10–12 months", "from_days": 300, "to_days": 365},
	{"label": "yearly", "every_days": 365},
}

// statutoryHolidays are the first days off of China's statutory holidays,
// per year. A year whose State Council notice is not yet published has the
// statutory day only (lunar dates computed), marked unofficial: admins
// replace it when the notice appears.
var statutoryHolidays = map[int]struct {
	official bool
	days     [][2]string // name, first day off
}{
	2026: {true, [][2]string{{"元旦", "2026-01-01"}, {"春节", "2026-02-15"}, {"清明", "2026-04-04"},
		{"劳动节", "2026-05-01"}, {"端午", "2026-06-19"}, {"中秋", "2026-09-25"}, {"国庆", "2026-10-01"}}},
	2027: {false, [][2]string{{"元旦", "2027-01-01"}, {"春节", "2027-02-05"}, {"清明", "2027-04-05"},
		{"劳动节", "2027-05-01"}, {"端午", "2027-06-09"}, {"中秋", "2027-09-15"}, {"国庆", "2027-10-01"}}},
}

func holidaySeed(year int) []map[string]any {
	var seed []map[string]any
	for _, y := range []int{year, year + 1} {
		for _, d := range statutoryHolidays[y].days {
			h := map[string]any{"name": d[0], "date": d[1]}
			if !statutoryHolidays[y].official {
				h["unofficial"] = true
			}
			seed = append(seed, h)
		}
	}
	return seed
}

// whole caps an int field at the largest whole number JSON keeps exactly,
// as 1700000009 did for the fields before it.
func whole(f *core.NumberField) *core.NumberField {
	f.Max = types.Pointer(float64(maxInt))
	return f
}

func careUp(app core.App) error {
	settings, err := app.FindCollectionByNameOrId("org_settings")
	if err != nil {
		return err
	}
	settings.Fields.Add(
		&core.JSONField{Name: "holidays", MaxSize: 64 << 10},
		whole(intField("care_lead_days", zero, false)),
		whole(intField("complaint_response_hours", types.Pointer(1.0), false)),
	)
	if err := app.Save(settings); err != nil {
		return err
	}
	if err := seedCareSettings(app); err != nil {
		return err
	}

	crs := func() *core.SelectField { return sel("location_crs", false, "wgs84", "gcj02", "bd09") }
	customers, err := app.FindCollectionByNameOrId("customers")
	if err != nil {
		return err
	}
	customers.Fields.Add(crs())
	if err := app.Save(customers); err != nil {
		return err
	}
	visits, err := app.FindCollectionByNameOrId("visits")
	if err != nil {
		return err
	}
	visits.Fields.Add(crs(), &core.TextField{Name: "occasion", Max: 200})
	// one generated task per customer and occasion, whoever runs the job
	visits.AddIndex("idx_visits_occasion", true, "customer, occasion", "occasion != ''")
	visits.AddIndex("idx_visits_generated", false, "status, source, window_end", "")
	if err := app.Save(visits); err != nil {
		return err
	}

	if err := createComplaints(app, customers); err != nil {
		return err
	}
	return backfillCustomers(app)
}

// seedCareSettings gives the settings singleton its care defaults and the
// spec's follow-up shape.
func seedCareSettings(app core.App) error {
	var row struct {
		Id        string `db:"id"`
		Timezone  string `db:"timezone"`
		Followups string `db:"followup_offsets"`
	}
	err := app.DB().Select("id", "timezone", "followup_offsets").From("org_settings").Limit(1).One(&row)
	if err != nil {
		return nil // no settings yet: nothing to seed
	}
	zone, err := org.Zone(row.Timezone)
	if err != nil {
		zone = time.UTC
	}
	holidays, _ := json.Marshal(holidaySeed(time.Now().In(zone).Year()))
	followups, err := upgradeFollowups(row.Followups)
	if err != nil {
		return err
	}
	_, err = app.DB().Update("org_settings", dbx.Params{
		"holidays": string(holidays), "care_lead_days": 7, "complaint_response_hours": 24,
		"followup_offsets": followups,
	}, dbx.HashExp{"id": row.Id}).Execute()
	return err
}

// upgradeFollowups rewrites {from, to} windows as {label, from_days,
// to_days}; the old default becomes the spec's default (with the yearly
// call). Entries it cannot read are kept as they are: the reader leaves
// them out and says so in the log.
func upgradeFollowups(raw string) (string, error) {
	var list []any
	if json.Unmarshal([]byte(raw), &list) != nil || len(list) == 0 {
		out, err := json.Marshal(defaultFollowups)
		return string(out), err
	}
	old, _ := json.Marshal([]map[string]int{{"from": 7, "to": 7}, {"from": 120, "to": 180}, {"from": 300, "to": 365}})
	var oldList []any
	_ = json.Unmarshal(old, &oldList)
	if fmt.Sprint(list) == fmt.Sprint(oldList) {
		out, err := json.Marshal(defaultFollowups)
		return string(out), err
	}
	for i, v := range list {
		e, ok := v.(map[string]any)
		if !ok {
			continue
		}
		from, hasFrom := e["from"]
		to, hasTo := e["to"]
		if !hasFrom || !hasTo {
			continue
		}
		delete(e, "from")
		delete(e, "to")
		e["from_days"], e["to_days"] = from, to
		if _, ok := e["label"]; !ok {
			e["label"] = fmt.Sprintf("%v–%v days", from, to)
		}
		list[i] = e
	}
	out, err := json.Marshal(list)
	return string(out), err
}

func createComplaints(app core.App, customers *core.Collection) error {
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	teams, err := app.FindCollectionByNameOrId("teams")
	if err != nil {
		return err
	}
	c := core.NewBaseCollection("complaints")
	c.Fields.Add(
		rel("customer", customers.Id, 1, true),
		sel("channel", false, "phone", "wechat", "email", "visit", "other"),
		sel("severity", false, "low", "normal", "high"),
		&core.TextField{Name: "summary", Required: true, Max: 500, Presentable: true},
		&core.TextField{Name: "details", Max: 10000},
		&core.DateField{Name: "received_at"},
		sel("status", false, "open", "acknowledged", "resolved", "closed"),
		&core.TextField{Name: "first_response", Max: 5000},
		&core.TextField{Name: "resolution", Max: 5000},
		rel("owner", users.Id, 1, false),
		rel("team", teams.Id, 1, false),
		&core.DateField{Name: "response_due"},
		&core.DateField{Name: "responded_at"},
		&core.DateField{Name: "resolved_at"},
		&core.BoolField{Name: "breached"},
		whole(intField("version", zero, false)),
	)
	timestamps(c)
	c.AddIndex("idx_complaints_customer", false, "customer, status", "")
	c.AddIndex("idx_complaints_owner", false, "owner, status", "")
	c.AddIndex("idx_complaints_team", false, "team", "")
	// the breach job's scan: open complaints by deadline
	c.AddIndex("idx_complaints_due", false, "status, breached, response_due", "")
	c.ListRule = scoped(`owner = @request.auth.id || team.viewers.id ?= @request.auth.id`)
	c.ViewRule = c.ListRule
	// whoever may see the customer may log a complaint about it
	c.CreateRule = scoped(`customer.owner = @request.auth.id || customer.team.viewers.id ?= @request.auth.id`)
	c.UpdateRule = c.ListRule
	c.DeleteRule = rule(authed + " && " + admin)
	return app.Save(c)
}

// backfillCustomers sets last_visit_at, satisfaction_avg and next_visit_due
// from the visits recorded before the server maintained them. Plain SQL:
// the starting state, not an audited edit.
func backfillCustomers(app core.App) error {
	s, err := org.LoadSettings(app)
	if err != nil {
		return nil // no settings: no data to backfill either
	}
	tiers, err := org.LoadTiers(app)
	if err != nil {
		return err
	}
	customers, err := app.FindAllRecords("customers")
	if err != nil {
		return err
	}
	now := time.Now()
	for _, c := range customers {
		st, err := schedule.CustomerStats(app, s, c.Id, now)
		if err != nil {
			return err
		}
		c.Set("last_visit_at", st.LastVisitAt)
		params := dbx.Params{
			"last_visit_at":    st.LastVisitAt.String(),
			"satisfaction_avg": st.SatisfactionAvg,
			"next_visit_due":   schedule.NextVisitDue(s, tiers, c),
		}
		if _, err := app.DB().Update("customers", params, dbx.HashExp{"id": c.Id}).Execute(); err != nil {
			return err
		}
	}
	return nil
}

func careDown(app core.App) error {
	if c, err := app.FindCollectionByNameOrId("complaints"); err == nil {
		if err := app.Delete(c); err != nil {
			return err
		}
	}
	for name, fields := range map[string][]string{
		"org_settings": {"holidays", "care_lead_days", "complaint_response_hours"},
		"customers":    {"location_crs"},
		"visits":       {"location_crs", "occasion"},
	} {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			return err
		}
		for _, f := range fields {
			c.Fields.RemoveByName(f)
		}
		c.RemoveIndex("idx_visits_occasion")
		c.RemoveIndex("idx_visits_generated")
		if err := app.Save(c); err != nil {
			return err
		}
	}
	return nil
}
