// Package demo seeds a realistic demo organisation: a three-level team
// tree, a dozen users in every role, customers in all four tiers around
// Shanghai, and plans, visits and expenses in every state with budgets.
//
// Everything is written through the real rules: records are created as the
// rep who owns them, submitted by their owner, decided by approvers who
// create approvals, and paid by finance (internal/flow). Dates are relative
// to today in the org time zone. The whole seed is one transaction, so a
// failed run leaves nothing behind and a finished one is detected by its
// accounts (Domain) and never repeated.
package demo

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/flow"
	"rapport/internal/org"
)

// Options tune a run.
type Options struct {
	Seed      uint64    // same seed, same organisation
	Customers int       // how many customers (default 200)
	Force     bool      // seed even if the database holds other data
	Out       io.Writer // progress and credentials (default: discard)
}

// ErrNotEmpty is returned when the database already holds non-demo data.
var ErrNotEmpty = errors.New("the database already holds data that is not the demo's; use --force to add the demo organisation anyway")

const dayLayout = "2006-01-02"

// Seeded reports whether the demo organisation is already in app.
func Seeded(app core.App) bool {
	_, err := app.FindAuthRecordByEmail("users", email("ada"))
	return err == nil
}

// Run seeds the demo organisation into app. It returns false, and writes
// nothing, when the demo is already there.
func Run(app core.App, opt Options) (bool, error) {
	if opt.Customers <= 0 {
		opt.Customers = 200
	}
	if opt.Out == nil {
		opt.Out = io.Discard
	}
	if Seeded(app) {
		fmt.Fprintf(opt.Out, "The demo organisation is already there (%s); nothing to do.\n", email("ada"))
		return false, nil
	}
	if !opt.Force {
		for _, c := range []string{"users", "teams", "customers"} {
			if n, err := app.CountRecords(c); err != nil || n > 0 {
				return false, ErrNotEmpty
			}
		}
	}
	// Today is the rules' today: they check dates against the clock.
	now := time.Now()
	started := now
	err := app.RunInTransaction(func(tx core.App) error {
		s, err := org.LoadSettings(tx)
		if err != nil {
			return err
		}
		tiers, err := org.LoadTiers(tx)
		if err != nil {
			return err
		}
		d := &seeder{app: tx, r: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x5eed)), out: opt.Out,
			now: now, today: dayStart(now.In(s.Location)), tiers: tiers,
			teams: map[string]*core.Record{}, users: map[string]*core.Record{}}
		return d.seed(opt.Customers)
	})
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(opt.Out, "\nDone in %s.\n\n", time.Since(started).Round(100*time.Millisecond))
	printCredentials(opt.Out)
	return true, nil
}

func dayStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

type seeder struct {
	app      core.App
	r        *rand.Rand
	out      io.Writer
	now      time.Time
	today    time.Time // midnight, org time zone
	tiers    []org.Tier
	teams    map[string]*core.Record
	users    map[string]*core.Record
	receipts int
}

func (d *seeder) seed(customers int) error {
	steps := []struct {
		label string
		total int
		run   func(tick func()) error
	}{
		{"teams", len(teamSeeds), d.seedTeams},
		{"users", len(userSeeds), d.seedUsers},
		{"budgets", 2 + len(teamSeeds) + len(reps), func(tick func()) error { return d.seedBudgets(customers, tick) }},
		{"customers, plans, visits, expenses", customers, func(tick func()) error { return d.seedCustomers(customers, tick) }},
		{"care programme: complaints, check-ins, schedule", 3, d.seedCare},
	}
	for _, s := range steps {
		p := newProgress(d.out, s.label, s.total)
		if err := s.run(p.tick); err != nil {
			return fmt.Errorf("%s: %w", s.label, err)
		}
		p.done()
	}
	return nil
}

func (d *seeder) seedTeams(tick func()) error {
	for _, t := range teamSeeds {
		data := map[string]any{"name": t.name}
		if t.parent != "" {
			data["parent"] = d.teams[t.parent].Id
		}
		r, err := flow.Create(d.app, nil, "teams", data)
		if err != nil {
			return err
		}
		d.teams[t.key] = r
		tick()
	}
	return nil
}

// seedUsers creates the accounts, then makes the managers manage their
// teams (teams need users and users need teams).
func (d *seeder) seedUsers(tick func()) error {
	users, err := d.app.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	for _, s := range userSeeds {
		u := core.NewRecord(users)
		u.Load(map[string]any{"name": s.name, "role": s.role, "team": d.teams[s.team].Id,
			"approval_limit": s.limitYuan * 100, "active": true})
		u.SetEmail(email(s.key))
		u.SetPassword(Password)
		u.SetVerified(true)
		if err := flow.Save(d.app, nil, u); err != nil {
			return fmt.Errorf("user %s: %w", s.key, err)
		}
		d.users[s.key] = u
		tick()
	}
	for _, t := range teamSeeds {
		team, err := d.app.FindRecordById("teams", d.teams[t.key].Id)
		if err != nil {
			return err
		}
		team.Set("manager", d.users[t.manager].Id)
		if err := flow.Save(d.app, nil, team); err != nil {
			return err
		}
	}
	return nil
}

// seedBudgets sets this year's budgets as finance would: an org budget that
// warns, a year budget per team that stops, and a monthly one per rep.
func (d *seeder) seedBudgets(customers int, tick func()) error {
	year := d.today.Format("2006") + "-01-01"
	month := d.today.Format("2006-01") + "-01"
	create := func(data map[string]any) error {
		_, err := flow.Create(d.app, d.users["fay"], "budgets", data)
		tick()
		return err
	}
	if err := create(map[string]any{"name": "年度客户维系预算 Customer care " + year[:4], "scope": "org", "period": "year",
		"period_start": year, "amount": yuan(3_000_000), "on_exceed": "warn", "warn_at_percent": 80}); err != nil {
		return err
	}
	if err := create(map[string]any{"name": "礼品预算 Gifts " + year[:4], "scope": "org", "category": "gift", "period": "year",
		"period_start": year, "amount": yuan(800_000), "on_exceed": "escalate", "warn_at_percent": 90}); err != nil {
		return err
	}
	// Stop budgets leave room for everything the demo spends (about 550
	// yuan per customer, the headquarters' budget covering all teams).
	teamYear := yuan(max(1_500_000, 7_500*int64(customers)))
	for _, t := range teamSeeds {
		if err := create(map[string]any{"name": t.name + " " + year[:4], "scope": "team", "team": d.teams[t.key].Id, "period": "year",
			"period_start": year, "amount": teamYear, "on_exceed": "stop", "warn_at_percent": 85}); err != nil {
			return err
		}
	}
	for _, rep := range reps {
		if err := create(map[string]any{"name": d.users[rep].GetString("name") + " " + month[:7], "scope": "rep", "rep": d.users[rep].Id,
			"period": "month", "period_start": month, "amount": yuan(25_000), "on_exceed": "warn", "warn_at_percent": 80}); err != nil {
			return err
		}
	}
	return nil
}

func (d *seeder) seedCustomers(n int, tick func()) error {
	names := map[string]bool{}
	for i := range n {
		c := newCustomer(d.r, i, d.today)
		for names[c.name] {
			c.name += " II"
		}
		names[c.name] = true
		rep := reps[i%len(reps)]
		if c.band == 0 && d.r.IntN(2) == 0 {
			rep = "ed" // key accounts look after half the A tier
		}
		customer, err := flow.Create(d.app, d.users[rep], "customers", map[string]any{
			"name": c.name, "code": c.code, "industry": c.industry, "address": c.address,
			"location":               types.GeoPoint{Lon: c.lon, Lat: c.lat},
			"annual_contract_amount": yuan(c.annualYuan), "customer_since": c.since,
			"status": c.status, "contacts": c.contacts,
		})
		if err != nil {
			return err
		}
		if c.status != "lost" {
			// each rep's first customer is being visited right now
			c.visitingNow = i < len(reps) || d.r.IntN(15) == 0
			if err := d.seedWork(customer, c); err != nil {
				return fmt.Errorf("customer %s: %w", c.code, err)
			}
		}
		tick()
	}
	return nil
}

// seedWork gives a customer last quarter's closed plan (sometimes), this
// quarter's plan in some state, visits and expenses.
func (d *seeder) seedWork(customer *core.Record, c customerSeed) error {
	tier, _ := org.Find(d.tiers, customer.GetString("tier"))
	visits, err := d.seedVisits(customer, c.visitingNow)
	if err != nil {
		return err
	}
	if d.r.IntN(3) == 0 {
		start := d.today.AddDate(0, 0, -100)
		plan, err := d.plan(customer, c, start, d.today.AddDate(0, 0, -12), "上季度维护方案 Last quarter's care plan")
		if err != nil {
			return err
		}
		if err := flow.Plan(d.app, plan, "approved"); err != nil {
			return err
		}
		if err := d.seedExpenses(plan, tier, visits, 1+d.r.IntN(2), d.today.AddDate(0, 0, -50), d.today.AddDate(0, 0, -12),
			[]string{"paid", "approved", "rejected"}, []float64{0.7, 0.15, 0.15}); err != nil {
			return err
		}
		if err := flow.Plan(d.app, plan, "closed"); err != nil {
			return err
		}
	}

	start := d.today.AddDate(0, 0, -(10 + d.r.IntN(30)))
	plan, err := d.plan(customer, c, start, start.AddDate(0, 3, -1), "本季度维护方案 This quarter's care plan")
	if err != nil {
		return err
	}
	// Big plans need several approval levels: more of them are still pending.
	weights := []float64{0.72, 0.1, 0.1, 0.08}
	if c.band <= 1 {
		weights = []float64{0.6, 0.1, 0.22, 0.08}
	}
	status := weighted(d.r, []string{"approved", "draft", "submitted", "rejected"}, weights)
	if err := flow.Plan(d.app, plan, status); err != nil {
		return err
	}
	if status == "submitted" {
		// half-way when the first approver's limit is too small: it went up
		return d.intermediateApproval(plan)
	}
	if status != "approved" {
		return nil
	}
	return d.seedExpenses(plan, tier, visits, 1+d.r.IntN(3), start, d.today,
		[]string{"draft", "submitted", "approved", "rejected", "paid"}, []float64{0.15, 0.2, 0.25, 0.1, 0.3})
}

// intermediateApproval has the current approver of a submitted plan pass
// it up the chain, when their limit is below its budget.
func (d *seeder) intermediateApproval(plan *core.Record) error {
	fresh, err := d.app.FindRecordById("plans", plan.Id)
	if err != nil {
		return err
	}
	approver, err := d.app.FindRecordById("users", fresh.GetString("approver"))
	if err != nil || approver.GetInt("approval_limit") >= fresh.GetInt("budget") {
		return nil
	}
	return flow.DecideOnce(d.app, fresh, "approve", "同意，请上级审批 Fine by me, needs a higher limit")
}

func (d *seeder) plan(customer *core.Record, c customerSeed, start, end time.Time, title string) (*core.Record, error) {
	methods := map[int][]string{0: {"visit", "meal", "gift", "trip"}, 1: {"visit", "meal", "gift"}, 2: {"visit", "call", "gift"}, 3: {"call", "gift"}}[c.band]
	owner, err := d.app.FindRecordById("users", customer.GetString("owner"))
	if err != nil {
		return nil, err
	}
	return flow.Create(d.app, owner, "plans", map[string]any{
		"customer": customer.Id, "title": title, "methods": methods,
		"measures":     "定期拜访、节日关怀、满意度回访 Regular visits, holiday care, satisfaction follow-up",
		"period_start": start.Format(dayLayout), "period_end": end.Format(dayLayout),
		"planned_visits": 1 + d.r.IntN(4), "budget": yuan(c.planYuan),
	})
}

// seedVisits records past visits (done or missed), one under way today for
// some customers, and the next scheduled or cancelled one. It returns the
// days of the done visits, for expenses to match.
func (d *seeder) seedVisits(customer *core.Record, visitingNow bool) ([]*core.Record, error) {
	owner, err := d.app.FindRecordById("users", customer.GetString("owner"))
	if err != nil {
		return nil, err
	}
	loc := customer.GetGeoPoint("location")
	var done []*core.Record
	visit := func(due time.Time, kind string, steps ...string) error {
		v, err := flow.Create(d.app, owner, "visits", map[string]any{"customer": customer.Id, "kind": kind,
			"due_date": due.Format(dayLayout), "window_start": due.AddDate(0, 0, -3).Format(dayLayout),
			"window_end": due.AddDate(0, 0, 3).Format(dayLayout)})
		if err != nil {
			return err
		}
		at := due.Add(time.Duration(9*60+d.r.IntN(8*60)) * time.Minute)
		if at.After(d.now) {
			at = d.now.Add(-time.Duration(5+d.r.IntN(60)) * time.Minute)
		}
		for _, step := range steps {
			// a fresh copy: after a create PocketBase keeps the blank original
			if v, err = d.app.FindRecordById("visits", v.Id); err != nil {
				return err
			}
			v.Set("status", step)
			switch step {
			case "in_progress":
				v.Set("started_at", at.UTC())
				v.Set("checkin_location", types.GeoPoint{Lon: loc.Lon + (d.r.Float64()-0.5)*0.002, Lat: loc.Lat + (d.r.Float64()-0.5)*0.002})
				v.Set("checkin_accuracy_m", 5+d.r.IntN(40))
			case "done":
				v.Set("ended_at", at.Add(time.Duration(30+d.r.IntN(90))*time.Minute).UTC())
				v.Set("outcome", outcomes[d.r.IntN(len(outcomes))])
				v.Set("satisfaction", 3+d.r.IntN(3))
				v.Set("notes", "拜访记录 Visit notes")
			}
			if err := flow.Save(d.app, owner, v); err != nil {
				return fmt.Errorf("visit %s: %w", step, err)
			}
		}
		if v.GetString("status") == "done" {
			done = append(done, v)
		}
		return nil
	}
	for range 1 + d.r.IntN(2) {
		past := d.today.AddDate(0, 0, -(2 + d.r.IntN(45)))
		steps := []string{"in_progress", "done"}
		if d.r.IntN(6) == 0 {
			steps = []string{"missed"}
		}
		if err := visit(past, "visit", steps...); err != nil {
			return nil, err
		}
	}
	if visitingNow {
		if err := visit(d.today, "visit", "in_progress"); err != nil {
			return nil, err
		}
	}
	next := d.today.AddDate(0, 0, 3+d.r.IntN(40))
	kind := weighted(d.r, []string{"visit", "call", "care", "event"}, []float64{0.6, 0.25, 0.1, 0.05})
	if d.r.IntN(10) == 0 {
		return done, visit(next, kind, "cancelled")
	}
	return done, visit(next, kind)
}

// seedExpenses records count expenses against an approved plan, incurred
// between from and to, each brought to one of states. Amounts stay within
// the tier's category limits, a share of the yearly care cap and of the
// plan budget, so that every rule lets them through.
func (d *seeder) seedExpenses(plan *core.Record, tier org.Tier, visits []*core.Record, count int, from, to time.Time, states []string, weights []float64) error {
	owner, err := d.app.FindRecordById("users", plan.GetString("owner"))
	if err != nil {
		return err
	}
	categories := []string{"meal", "gift", "transport"}
	if tier.Tier == "A" || tier.Tier == "B" {
		categories = append(categories, "event")
	}
	for range count {
		category := categories[d.r.IntN(len(categories))]
		ceiling := int64(plan.GetInt("budget")) / 4
		if limit, ok := tier.CategoryLimits[category]; ok && limit > 0 {
			ceiling = min(ceiling, limit)
		}
		if tier.AnnualCareCap > 0 {
			ceiling = min(ceiling, tier.AnnualCareCap/8)
		}
		amount := max(ceiling*int64(40+d.r.IntN(56))/100/50*50, 100)

		// Most reps claim within the week; some are late (flagged).
		first := from
		if week := to.AddDate(0, 0, -6); week.After(from) && d.r.IntN(4) > 0 {
			first = week
		}
		day := first.AddDate(0, 0, d.r.IntN(max(int(to.Sub(first).Hours()/24), 0)+1))
		data := map[string]any{"plan": plan.Id, "category": category, "amount": amount,
			"incurred_on": day.Format(dayLayout), "description": pick(d.r, expenseNotes[category])}
		// Meals and gifts usually go with a visit that day.
		inPeriod := slices.DeleteFunc(slices.Clone(visits), func(v *core.Record) bool {
			due := v.GetString("due_date")
			return due < from.Format(dayLayout) || due > to.Format(dayLayout)
		})
		if len(inPeriod) > 0 && d.r.IntN(3) > 0 {
			v := inPeriod[d.r.IntN(len(inPeriod))]
			data["visit"] = v.Id
			data["incurred_on"] = v.GetString("due_date")
		}
		c, err := d.app.FindCollectionByNameOrId("expenses")
		if err != nil {
			return err
		}
		x := core.NewRecord(c)
		x.Load(data)
		state := weighted(d.r, states, weights)
		if state != "draft" || d.r.IntN(2) == 0 {
			d.receipts++
			f, err := filesystem.NewFileFromBytes(receipt(d.receipts, amount), fmt.Sprintf("receipt-%04d.png", d.receipts))
			if err != nil {
				return err
			}
			x.Set("receipt", f)
		}
		if err := flow.Save(d.app, owner, x); err != nil {
			return fmt.Errorf("expense: %w", err)
		}
		if err := flow.Expense(d.app, x, state); err != nil {
			return err
		}
	}
	return nil
}

func pick(r *rand.Rand, values []string) string { return values[r.IntN(len(values))] }

func yuan(y int64) int64 { return y * 100 }

// thousands formats n as 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func printCredentials(out io.Writer) {
	fmt.Fprintf(out, "Demo accounts (password %q):\n\n", Password)
	fmt.Fprintf(out, "  %-36s %-9s %-28s %s\n", "email", "role", "name", "approves up to")
	for _, u := range userSeeds {
		limit := ""
		if u.limitYuan > 0 {
			limit = thousands(u.limitYuan) + " CNY"
		}
		fmt.Fprintf(out, "  %-36s %-9s %-28s %s\n", email(u.key), u.role, u.name, limit)
	}
	fmt.Fprintln(out, "\nStart the server with `go run . serve`. These accounts sign in through the API and the apps")
	fmt.Fprintln(out, "(POST http://127.0.0.1:8090/api/collections/users/auth-with-password); the dashboard at /_/")
	fmt.Fprintln(out, "takes a superuser: `go run . superuser upsert you@example.com 'a-long-password'`.")
}

// progress draws one line per step, redrawn in place as work advances on
// a terminal, written once when the step is done otherwise.
type progress struct {
	out          io.Writer
	live         bool
	label        string
	total, count int
	last         time.Time
}

func newProgress(out io.Writer, label string, total int) *progress {
	p := &progress{out: out, live: isTerminal(out), label: label, total: total}
	if p.live {
		p.draw()
	}
	return p
}

func (p *progress) tick() {
	p.count++
	if p.live && time.Since(p.last) > 100*time.Millisecond {
		p.draw()
	}
}

func (p *progress) draw() {
	p.last = time.Now()
	width := 30
	filled := width * p.count / max(p.total, 1)
	fmt.Fprintf(p.out, "\r  %-36s [%s%s] %d/%d", p.label, strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.count, p.total)
}

func (p *progress) done() {
	p.draw()
	fmt.Fprintln(p.out)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
