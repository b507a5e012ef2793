package schedule_test

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"rapport/internal/flow"
	"rapport/internal/org"
	"rapport/internal/schedule"
	"rapport/internal/sync"
	"rapport/internal/testkit"
)

// newOrg is the standard test organisation with device times allowed far
// ahead (the calendar cases run in future years) and no follow-ups unless
// a test sets them.
func newOrg(t testing.TB, settings map[string]any) (*tests.TestApp, *testkit.Org) {
	t.Helper()
	app := testkit.NewApp(t)
	sync.Register(app) // the change log, so that tests see what phones would pull
	o := testkit.NewOrg(t, app)
	values := map[string]any{"future_tolerance_hours": 10 * 365 * 24, "followup_offsets": []any{}, "holidays": []any{}}
	for k, v := range settings {
		values[k] = v
	}
	s, err := app.FindFirstRecordByFilter("org_settings", "")
	if err != nil {
		t.Fatal(err)
	}
	s.Load(values)
	if err := testkit.Save(app, nil, s); err != nil {
		t.Fatal(err)
	}
	return app, o
}

// customer seeds an active customer of rita's (as the server); yuan sets the tier.
func customer(t testing.TB, o *testkit.Org, yuan int64, data map[string]any) *core.Record {
	t.Helper()
	d := map[string]any{"name": fmt.Sprintf("C%d", len(data)), "owner": o.Users["rita"].Id, "annual_contract_amount": testkit.Yuan(yuan)}
	for k, v := range data {
		d[k] = v
	}
	return testkit.MustCreate(t, o.App, nil, "customers", d)
}

const (
	tierA = 1_000_000 // every 30 days ± 5; trip, holiday gift, birthday card
	tierB = 400_000   // every 60 days ± 7; holiday gift, birthday card
	tierC = 60_000    // every 120 days ± 14; greeting card
	tierD = 1_000     // every 365 days ± 30; nothing
)

// generated lists a customer's generated visits of source as
// "kind status due [start..end] notes".
func generated(t testing.TB, app core.App, c *core.Record, source string) []string {
	t.Helper()
	visits, err := app.FindAllRecords("visits", dbx.HashExp{"customer": c.Id, "source": source})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range visits {
		out = append(out, fmt.Sprintf("%s %s %s [%s..%s] %s", v.GetString("kind"), v.GetString("status"), v.GetString("due_date"),
			v.GetString("window_start"), v.GetString("window_end"), v.GetString("notes")))
	}
	slices.Sort(out)
	return out
}

func run(t testing.TB, app core.App, day string) schedule.Result {
	t.Helper()
	res, err := schedule.Run(app, day)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func matches(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !strings.HasPrefix(got[i], want[i]) {
			return false
		}
	}
	return true
}

// The calendar: what the job generates for whom, and when.
func TestCalendar(t *testing.T) {
	day := testkit.Day
	for _, tc := range []struct {
		name     string
		settings map[string]any
		yuan     int64
		data     map[string]any
		done     string // started_at of a done visit, if any
		runOn    string
		source   string
		want     []string // prefixes of generated(), sorted
	}{
		{name: "never visited: due customer_since + interval", yuan: tierB, data: map[string]any{"customer_since": day(-10)},
			runOn: day(0), source: "schedule", want: []string{"visit scheduled " + day(50) + " [" + day(43) + ".." + day(57) + "]"}},
		{name: "never visited long ago: due today", yuan: tierA, data: map[string]any{"customer_since": "2020-03-01"},
			runOn: day(0), source: "schedule", want: []string{"visit scheduled " + day(0) + " [" + day(-5) + ".." + day(5) + "]"}},
		{name: "no customer_since, never visited: due today", yuan: tierA, data: map[string]any{},
			runOn: day(0), source: "schedule", want: []string{"visit scheduled " + day(0)}},
		{name: "visited late: counts from the actual visit", yuan: tierB, data: map[string]any{"customer_since": "2020-03-01"},
			done: day(-20) + " 03:00:00.000Z", runOn: day(0), source: "schedule", want: []string{"visit scheduled " + day(40) + " [" + day(33) + ".." + day(47) + "]"}},
		{name: "tier D: a yearly visit ± 30 days", yuan: tierD, data: map[string]any{"customer_since": "2020-03-01"},
			settings: map[string]any{}, runOn: day(0), source: "schedule", want: []string{"visit scheduled " + day(0) + " [" + day(-30)}},
		{name: "leap-day birthday in a common year: 28 February", yuan: tierB,
			data:  map[string]any{"contacts": []map[string]any{{"name": "Wang Wei", "birthday": "1992-02-29"}}},
			runOn: "2027-02-21", source: "care", want: []string{"care scheduled 2027-02-28 [2027-02-21..2027-02-28] Birthday of Wang Wei on 2027-02-28. Suggested: birthday_card."}},
		{name: "leap-day birthday, a day too early", yuan: tierB,
			data:  map[string]any{"contacts": []map[string]any{{"name": "Wang Wei", "birthday": "1992-02-29"}}},
			runOn: "2027-02-20", source: "care", want: nil},
		{name: "leap-day birthday in a leap year", yuan: tierB,
			data:  map[string]any{"contacts": []map[string]any{{"name": "Wang Wei", "birthday": "1992-02-29"}, {"name": "Li Na", "birthday": "1980-02-29"}}},
			runOn: "2028-02-25", source: "care", want: []string{"care scheduled 2028-02-29 [2028-02-22..2028-02-29] Birthday of Wang Wei, Li Na on 2028-02-29."}},
		{name: "holiday in the next year", yuan: tierB, settings: map[string]any{"holidays": []map[string]any{{"name": "元旦", "date": "2028-01-01"}, {"name": "春节", "date": "2028-01-26"}}},
			runOn: "2027-12-27", source: "care", want: []string{"care scheduled 2028-01-01 [2027-12-25..2028-01-01] 元旦 on 2028-01-01. Suggested: holiday_gift."}},
		{name: "tier without the entitlement gets no care task", yuan: tierD, settings: map[string]any{"holidays": []map[string]any{{"name": "元旦", "date": "2028-01-01"}}},
			data:  map[string]any{"contacts": []map[string]any{{"name": "Wang Wei", "birthday": "1970-12-30"}}},
			runOn: "2027-12-27", source: "care", want: nil},
		{name: "a greeting card fits a tier C holiday", yuan: tierC, settings: map[string]any{"holidays": []map[string]any{{"name": "元旦", "date": "2028-01-01"}}},
			runOn: "2027-12-27", source: "care", want: []string{"care scheduled 2028-01-01 [2027-12-25..2028-01-01] 元旦 on 2028-01-01. Suggested: greeting_card."}},
		{name: "care lead days come from the settings", yuan: tierA, settings: map[string]any{"care_lead_days": 2, "holidays": []map[string]any{{"name": "元旦", "date": "2028-01-01"}}},
			runOn: "2027-12-27", source: "care", want: nil},
		{name: "follow-up 1 week: created at once, lead 14 days", yuan: tierB, settings: map[string]any{"followup_offsets": defaultFollowups},
			data: map[string]any{"customer_since": day(0)}, runOn: day(0), source: "followup",
			want: []string{"call scheduled " + day(7) + " [" + day(7) + ".." + day(7) + "] After-purchase follow-up (1 week)"}},
		{name: "follow-up 4–6 months: from 14 days before the window", yuan: tierB, settings: map[string]any{"followup_offsets": defaultFollowups},
			data: map[string]any{"customer_since": day(-106)}, runOn: day(0), source: "followup",
			want: []string{"call scheduled " + day(14) + " [" + day(14) + ".." + day(74) + "] After-purchase follow-up (4–6 months)"}},
		{name: "follow-up yearly with its own lead", yuan: tierB, settings: map[string]any{"followup_offsets": []map[string]any{{"label": "yearly", "every_days": 365, "lead_days": 3}}},
			data: map[string]any{"customer_since": day(-727)}, runOn: day(0), source: "followup",
			want: []string{"call scheduled " + day(3) + " [" + day(3) + ".." + day(3) + "] After-purchase follow-up (yearly)"}},
		{name: "no follow-up for windows past when the customer was created", yuan: tierB, settings: map[string]any{"followup_offsets": defaultFollowups},
			data: map[string]any{"customer_since": day(-200)}, runOn: day(0), source: "followup", want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app, o := newOrg(t, tc.settings)
			c := customer(t, o, tc.yuan, tc.data)
			if tc.done != "" {
				testkit.MustCreate(t, app, o.Users["rita"], "visits", map[string]any{"customer": c.Id, "status": "done", "started_at": tc.done})
			}
			run(t, app, tc.runOn)
			if got := generated(t, app, c, tc.source); !matches(got, tc.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

var defaultFollowups = []map[string]any{
	{"label": "1 week", "from_days": 7, "to_days": 7},
	{"label": "4–6 months", "from_days": 120, "to_days": 180},
	{"label": "10–12 months", "from_days": 300, "to_days": 365},
	{"label": "yearly", "every_days": 365},
}

// A window ends at local midnight: the same instant is one day in Auckland
// and the day before in Honolulu, and the job runs as of the org's day.
func TestWindowEndsAtLocalMidnight(t *testing.T) {
	for _, tc := range []struct {
		zone   string
		missed bool
	}{{"Pacific/Kiritimati", true}, {"Pacific/Honolulu", false}} {
		t.Run(tc.zone, func(t *testing.T) {
			app, o := newOrg(t, map[string]any{"timezone": tc.zone})
			c := customer(t, o, tierA, map[string]any{"customer_since": "2020-01-01"})
			run(t, app, "2027-03-01") // due 2027-03-01, window ends 2027-03-06
			// 2027-03-06 23:30 in Honolulu is 2027-03-07 in Kiritimati
			at, _ := time.Parse(time.RFC3339, "2027-03-07T09:30:00Z")
			s, err := org.LoadSettings(app)
			if err != nil {
				t.Fatal(err)
			}
			res := run(t, app, s.Today(at))
			if (res.Missed == 1) != tc.missed {
				t.Errorf("as of %s: %+v; visits %v", s.Today(at), res, generated(t, app, c, "schedule"))
			}
		})
	}
}

// snapshot is every visit row as stored, by id.
func snapshot(t testing.TB, app core.App) map[string]string {
	t.Helper()
	visits, err := app.FindAllRecords("visits")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, v := range visits {
		b, _ := v.MarshalJSON()
		rows[v.Id] = string(b)
	}
	return rows
}

func changeCount(t testing.TB, app core.App) int {
	t.Helper()
	var n int
	if err := app.DB().Select("COUNT(*)").From("_sync_changes").Row(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A second run as of the same day changes nothing: no row, no version, no
// change-log entry.
func TestIdempotent(t *testing.T) {
	app, o := newOrg(t, map[string]any{"followup_offsets": defaultFollowups,
		"holidays": []map[string]any{{"name": "元旦", "date": testkit.Day(3)}}})
	for i, yuan := range []int64{tierA, tierB, tierC, tierD} {
		customer(t, o, yuan, map[string]any{"name": fmt.Sprint("I", i), "customer_since": testkit.Day(-110 - i),
			"contacts": []map[string]any{{"name": "Zhang", "birthday": "1970-" + testkit.Day(2)[5:]}}})
	}
	first := run(t, app, testkit.Day(0))
	if first.Created == 0 {
		t.Fatalf("first run created nothing: %+v", first)
	}
	// the job saves without validation (schedule.save): what it wrote must
	// pass it all the same, PocketBase's field checks and the values stage
	visits, err := app.FindAllRecords("visits", dbx.In("source", "schedule", "followup", "care"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range visits {
		if err := app.Validate(v); err != nil {
			t.Errorf("generated visit %s (%s) would not pass validation: %v", v.Id, v.GetString("notes"), err)
		}
	}
	before, changes := snapshot(t, app), changeCount(t, app)
	if changes == 0 {
		t.Fatal("the first run reached no phone")
	}
	second := run(t, app, testkit.Day(0))
	if second != (schedule.Result{}) {
		t.Errorf("second run: %+v", second)
	}
	after := snapshot(t, app)
	if len(after) != len(before) {
		t.Errorf("%d visits, then %d", len(before), len(after))
	}
	for id, row := range before {
		if after[id] != row {
			t.Errorf("visit changed:\n%s\n%s", row, after[id])
		}
	}
	if n := changeCount(t, app); n != changes {
		t.Errorf("change log grew from %d to %d", changes, n)
	}
}

// The job's visits have valid record ids that sort in creation order (so
// that each insert appends to the id index), and no two runs share one.
func TestGeneratedIdsFollowCreation(t *testing.T) {
	app, o := newOrg(t, map[string]any{"followup_offsets": defaultFollowups})
	for i, yuan := range []int64{tierA, tierB, tierC, tierD} {
		customer(t, o, yuan, map[string]any{"name": fmt.Sprint("G", i), "customer_since": testkit.Day(-110 - i)})
	}
	run(t, app, testkit.Day(0))
	var ids []string
	err := app.DB().Select("id").From("visits").Where(dbx.In("source", "schedule", "followup", "care")).OrderBy("rowid").Column(&ids)
	if err != nil || len(ids) < 5 {
		t.Fatalf("%d generated visits (%v), want at least 5", len(ids), err)
	}
	valid := regexp.MustCompile(`^[a-z0-9]{15}$`)
	for i, id := range ids {
		if !valid.MatchString(id) {
			t.Errorf("id %q is not a record id", id)
		}
		if i > 0 && id <= ids[i-1] {
			t.Errorf("id %q created after %q sorts before it", id, ids[i-1])
		}
	}
}

// A rep who guesses the id the job will give its next visit and creates a
// visit under it first neither stops the job nor loses that visit: the job
// gives its own visit another id.
func TestGuessedIdIsNotADenial(t *testing.T) {
	app, o := newOrg(t, nil)
	c := customer(t, o, tierA, map[string]any{"name": "Squatted"})
	squat := testkit.MustCreate(t, app, o.Users["rita"], "visits", map[string]any{
		"id": schedule.NextID(), "customer": c.Id, "kind": "call", "notes": "mine"})
	run(t, app, testkit.Day(0)) // fails the test on an error
	if cadence := generated(t, app, c, schedule.SourceCadence); len(cadence) != 1 {
		t.Errorf("cadence visits: %v, want one", cadence)
	}
	mine, err := app.FindRecordById("visits", squat.Id)
	if err != nil || mine.GetString("notes") != "mine" || mine.GetString("source") != "manual" {
		t.Errorf("the rep's visit under the guessed id changed: %v %v", mine, err)
	}
}

// --date travels in time: a window that ended is missed (audited), and the
// next visit is due that day.
func TestMissedByDate(t *testing.T) {
	app, o := newOrg(t, nil)
	c := customer(t, o, tierA, map[string]any{"customer_since": "2020-01-01"})
	run(t, app, testkit.Day(0))
	res := run(t, app, testkit.Day(6))
	want := []string{"visit missed " + testkit.Day(0), "visit scheduled " + testkit.Day(6)}
	if got := generated(t, app, c, "schedule"); res.Missed != 1 || !matches(got, want) {
		t.Errorf("%+v: %v", res, got)
	}
	missed, err := app.FindFirstRecordByFilter("visits", "status = 'missed'")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := app.FindAllRecords("audit_log", dbx.HashExp{"record_id": missed.Id, "action": "update"})
	if err != nil || len(entries) != 1 || !strings.Contains(entries[0].GetString("changes"), "missed") {
		t.Errorf("audit of the miss: %v %v", entries, err)
	}
	// a rep's own scheduled visit is never touched
	own := testkit.MustCreate(t, app, o.Users["rita"], "visits", map[string]any{"customer": c.Id, "due_date": testkit.Day(1), "window_end": testkit.Day(1)})
	run(t, app, testkit.Day(30))
	if got := o.Reload(t, own); got.GetString("status") != "scheduled" || got.GetString("source") != "manual" {
		t.Errorf("the rep's visit: %s %s", got.GetString("status"), got.GetString("source"))
	}
}

// A done visit moves the next cadence visit; a dormant customer's
// generated visits are cancelled, and an active one again gets its next.
func TestDoneVisitMovesCadence(t *testing.T) {
	app, o := newOrg(t, nil)
	c := customer(t, o, tierB, map[string]any{"customer_since": testkit.Day(-30)})
	run(t, app, testkit.Day(0))
	if got := generated(t, app, c, "schedule"); !matches(got, []string{"visit scheduled " + testkit.Day(30)}) {
		t.Fatalf("%v", got)
	}
	testkit.MustCreate(t, app, o.Users["rita"], "visits", map[string]any{"customer": c.Id, "status": "done", "due_date": testkit.Day(-1)})
	if got := generated(t, app, c, "schedule"); !matches(got, []string{"visit scheduled " + testkit.Day(59) + " [" + testkit.Day(52) + ".." + testkit.Day(66) + "]"}) {
		t.Errorf("after a done visit: %v", got)
	}
	if due := o.Reload(t, c).GetString("next_visit_due"); due != testkit.Day(59) {
		t.Errorf("next_visit_due %s", due)
	}

	fresh := o.Reload(t, c)
	fresh.Set("status", "dormant")
	if err := flow.Save(app, o.Users["rita"], fresh); err != nil {
		t.Fatal(err)
	}
	if got := generated(t, app, c, "schedule"); !matches(got, []string{"visit cancelled " + testkit.Day(59)}) {
		t.Errorf("dormant: %v", got)
	}
	run(t, app, testkit.Day(0))
	if got := generated(t, app, c, "schedule"); len(got) != 1 {
		t.Errorf("the job plans nothing for a dormant customer: %v", got)
	}
}

// Reassigning a customer mid-cycle gives its scheduled generated visits to
// the new owner; the next run leaves them there.
func TestReassignMidCycle(t *testing.T) {
	app, o := newOrg(t, map[string]any{"holidays": []map[string]any{{"name": "元旦", "date": testkit.Day(2)}}})
	c := customer(t, o, tierA, map[string]any{"customer_since": "2020-01-01"})
	run(t, app, testkit.Day(0))
	fresh := o.Reload(t, c)
	fresh.Set("owner", o.Users["rob"].Id)
	if err := flow.Save(app, o.Users["ada"], fresh); err != nil {
		t.Fatal(err)
	}
	if res := run(t, app, testkit.Day(0)); res != (schedule.Result{}) {
		t.Errorf("run after the move: %+v", res)
	}
	visits, _ := app.FindAllRecords("visits", dbx.HashExp{"customer": c.Id})
	if len(visits) != 2 {
		t.Fatalf("%d visits", len(visits))
	}
	for _, v := range visits {
		if v.GetString("rep") != o.Users["rob"].Id || v.GetString("team") != o.Teams["field"].Id {
			t.Errorf("%s visit stayed with %s", v.GetString("source"), v.GetString("rep"))
		}
	}
}

// Reps write while the job runs: every write succeeds and the job still
// leaves exactly one upcoming cadence visit per customer.
func TestRepWritesWhileJobRuns(t *testing.T) {
	app, o := newOrg(t, nil)
	var customers []*core.Record
	for i := range 300 {
		customers = append(customers, customer(t, o, tierB, map[string]any{"name": fmt.Sprint("R", i), "customer_since": "2020-01-01"}))
	}
	errs := make(chan error, 1)
	go func() {
		var err error
		for i := 0; i < 40 && err == nil; i++ {
			_, err = flow.Create(app, o.Users["rita"], "visits", map[string]any{"customer": customers[i*7].Id, "status": "done", "due_date": testkit.Day(-1)})
		}
		errs <- err
	}()
	run(t, app, testkit.Day(0))
	if err := <-errs; err != nil {
		t.Fatalf("a rep's write failed: %v", err)
	}
	run(t, app, testkit.Day(0))
	var rows []struct {
		Customer string `db:"customer"`
		N        int    `db:"n"`
	}
	err := app.DB().NewQuery(`SELECT customer, COUNT(*) AS n FROM visits WHERE source = 'schedule' AND status = 'scheduled' GROUP BY customer`).All(&rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(customers)+3 { // + the standard org's three
		t.Errorf("%d customers have a cadence visit", len(rows))
	}
	for _, r := range rows {
		if r.N != 1 {
			t.Errorf("customer %s has %d", r.Customer, r.N)
		}
	}
}

// A superuser runs a job as the dashboard's Crons page does.
func TestRunCronOverAPI(t *testing.T) {
	app, o := newOrg(t, nil)
	schedule.Register(app)
	c := testkit.NewClient(t, o)
	complaint := testkit.MustCreate(t, app, o.Users["rita"], "complaints", map[string]any{"customer": o.Customers["rita"].Id,
		"summary": "no answer", "received_at": time.Now().Add(-25 * time.Hour)})
	if res := c.Do("ada", "POST", "/api/crons/"+schedule.CronComplaints, nil); res.Status != 401 && res.Status != 403 {
		t.Errorf("an admin user (not a superuser) ran it: %d", res.Status)
	}
	if res := c.Do("superuser", "POST", "/api/crons/"+schedule.CronComplaints, nil); res.Status != 204 {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	for range 100 { // the route runs the job in the background
		if r, _ := app.FindRecordById("complaints", complaint.Id); r.GetBool("breached") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Error("the complaint was not marked breached")
}

// The jobs are PocketBase cron jobs with their ids, the daily one at
// 02:00 org time expressed in UTC, moved when the time zone changes.
func TestCronJobs(t *testing.T) {
	app, _ := newOrg(t, nil)
	schedule.Register(app)
	expr := func(id string) string {
		for _, j := range app.Cron().Jobs() {
			if j.Id() == id {
				return j.Expression()
			}
		}
		return "(none)"
	}
	if got := expr(schedule.CronComplaints); got != "*/5 * * * *" {
		t.Errorf("%s: %s", schedule.CronComplaints, got)
	}
	if got := expr(schedule.CronSchedule); got != "0 18 * * *" {
		t.Errorf("%s in Asia/Shanghai: %s", schedule.CronSchedule, got)
	}
	s, _ := app.FindFirstRecordByFilter("org_settings", "")
	s.Set("timezone", "Asia/Kolkata")
	if err := testkit.Save(app, nil, s); err != nil {
		t.Fatal(err)
	}
	if got := expr(schedule.CronSchedule); got != "30 20 * * *" {
		t.Errorf("%s in Asia/Kolkata: %s", schedule.CronSchedule, got)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for now, want := range map[string]string{"2027-01-15T12:00:00Z": "0 1 * * *", "2027-07-15T12:00:00Z": "0 0 * * *"} {
		at, _ := time.Parse(time.RFC3339, now)
		if got := org.DailyCron(berlin, 2, at); got != want {
			t.Errorf("Berlin on %s: %s, want %s", now, got, want)
		}
	}
}

// Customers read ahead of their batch's transaction are planned as that
// transaction sees them: one a rep changed since is read again, one deleted
// since is left out, the others are taken as read.
func TestReadAheadSeesLaterWrites(t *testing.T) {
	app, o := newOrg(t, nil)
	changed := customer(t, o, tierA, map[string]any{"name": "Changed"})
	deleted := customer(t, o, tierB, map[string]any{"name": "Deleted"})
	same := customer(t, o, tierC, map[string]any{"name": "Same"})
	ids := []string{changed.Id, deleted.Id, same.Id}
	ahead, err := app.FindRecordsByIds("customers", ids)
	if err != nil {
		t.Fatal(err)
	}
	rita := o.Users["rita"]
	edit, _ := app.FindRecordById("customers", changed.Id)
	edit.Set("status", "dormant")
	if err := testkit.Save(app, rita, edit); err != nil {
		t.Fatal(err)
	}
	if err := app.Delete(deleted); err != nil {
		t.Fatal(err)
	}
	err = app.RunInTransaction(func(tx core.App) error {
		got, err := schedule.Current(tx, ids, ahead)
		if err != nil {
			return err
		}
		status := map[string]string{}
		for _, c := range got {
			status[c.GetString("name")] = c.GetString("status")
		}
		want := map[string]string{"Changed": "dormant", "Same": "active"}
		if !maps.Equal(status, want) {
			t.Errorf("planned %v, want %v", status, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// What was worked out ahead for a customer a rep changed meanwhile is
// worked out again: upgraded from tier D (no care) to tier A, the customer
// gets the birthday card tier A is entitled to.
func TestReadAheadOccasionsFollowLaterWrites(t *testing.T) {
	app, o := newOrg(t, nil)
	c := customer(t, o, tierD, map[string]any{"name": "Upgraded",
		"contacts": []map[string]any{{"name": "Zhang", "birthday": "1970-" + testkit.Day(2)[5:]}}})
	_, err := schedule.PlanAhead(app, testkit.Day(0), func() {
		edit, _ := app.FindRecordById("customers", c.Id)
		edit.Set("annual_contract_amount", testkit.Yuan(tierA))
		if err := testkit.Save(app, o.Users["mia"], edit); err != nil {
			t.Fatal(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if care := generated(t, app, c, schedule.SourceCare); len(care) != 1 {
		t.Errorf("care tasks after the upgrade: %v, want the birthday card", care)
	}
}
