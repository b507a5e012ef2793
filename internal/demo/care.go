package demo

import (
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/flow"
	"rapport/internal/schedule"
)

// demoCareLeadDays: the demo organisation prepares gifts a month ahead,
// so that the next holiday's care tasks are there whatever the day.
const demoCareLeadDays = 30

// complaintSeed is a complaint received hoursAgo, then taken through steps.
type complaintSeed struct {
	summary, channel, severity string
	hoursAgo                   int
	steps                      []map[string]any
}

var complaintSeeds = []complaintSeed{
	{"送货延迟 Delivery two days late", "phone", "normal", 2, nil},
	{"发票抬头错误 Wrong company name on the invoice", "email", "low", 5,
		[]map[string]any{{"status": "acknowledged", "first_response": "已致电客户，重开发票 Called back, reissuing the invoice."}}},
	{"设备故障 Machine stopped after the update", "wechat", "high", 20,
		[]map[string]any{{"status": "acknowledged", "first_response": "工程师明天上门 Engineer on site tomorrow."},
			{"status": "resolved", "resolution": "已更换主板 Board replaced."}, {"status": "closed"}}},
	{"服务态度 Hotline kept the customer waiting", "visit", "normal", 30, nil}, // left unanswered: breached
}

// seedCare logs complaints in every state, checks in off-site at a few
// customers, then runs the complaint SLA job and the daily schedule job,
// so the demo shows scheduled, missed, follow-up and care visits and
// breached complaints.
func (d *seeder) seedCare(tick func()) error {
	settings, err := d.app.FindFirstRecordByFilter("org_settings", "")
	if err != nil {
		return err
	}
	settings.Set("care_lead_days", demoCareLeadDays)
	if err := flow.Save(d.app, nil, settings); err != nil {
		return err
	}
	var customers []*core.Record
	err = d.app.RecordQuery("customers").Where(dbx.HashExp{"status": "active"}).OrderBy("code").All(&customers)
	if err != nil {
		return err
	}
	for i, c := range customers {
		owner, err := d.app.FindRecordById("users", c.GetString("owner"))
		if err != nil {
			return err
		}
		if i%3 == 0 {
			if err := d.complaint(owner, c, complaintSeeds[(i/3)%len(complaintSeeds)]); err != nil {
				return err
			}
		}
		if i%10 == 1 {
			if err := d.offsiteVisit(owner, c); err != nil {
				return err
			}
		}
	}
	tick()
	if _, err := schedule.Breaches(d.app, d.now); err != nil {
		return err
	}
	tick()
	_, err = schedule.Run(d.app, d.today.Format(dayLayout))
	tick()
	return err
}

func (d *seeder) complaint(owner, customer *core.Record, seed complaintSeed) error {
	c, err := flow.Create(d.app, owner, "complaints", map[string]any{"customer": customer.Id, "summary": seed.summary,
		"channel": seed.channel, "severity": seed.severity, "received_at": d.now.Add(-time.Duration(seed.hoursAgo) * time.Hour)})
	if err != nil {
		return err
	}
	for _, step := range seed.steps {
		if c, err = d.app.FindRecordById("complaints", c.Id); err != nil {
			return err
		}
		c.Load(step)
		if err := flow.Save(d.app, owner, c); err != nil {
			return err
		}
	}
	return nil
}

// offsiteVisit records yesterday's visit checked in 1.3 km from the
// customer: outside the geofence, flagged in the org's flag mode.
func (d *seeder) offsiteVisit(owner, customer *core.Record) error {
	loc := customer.GetGeoPoint("location")
	day := d.today.AddDate(0, 0, -1)
	_, err := flow.Create(d.app, owner, "visits", map[string]any{"customer": customer.Id, "kind": "visit", "status": "done",
		"due_date": day.Format(dayLayout), "started_at": day.Add(10 * time.Hour).UTC(), "ended_at": day.Add(11 * time.Hour).UTC(),
		"checkin_location": types.GeoPoint{Lon: loc.Lon, Lat: loc.Lat + 0.012}, "checkin_accuracy_m": 12,
		"satisfaction": 4, "outcome": "在客户附近的咖啡馆见面 Met at a café near the customer"})
	return err
}
