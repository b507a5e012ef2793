package bench

import (
	"fmt"
	"io"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/org"
)

// person is a generated user and what a client needs to act as them.
type person struct {
	ID    string
	Token string
	Team  string
}

// plan is an approved plan a rep can spend on.
type plan struct{ ID, Customer string }

// world is the organisation the generator built: enough to drive every
// scenario and to know who is entitled to see what.
type world struct {
	Reps         []person
	Staff        []person            // managers and directors, every level
	Tokens       map[string]string   // user id → auth token
	Devices      map[string]string   // auth token → the user's device address
	Viewers      map[string][]string // team id → users who may view its records
	Plans        map[string][]plan   // rep id → approved plans
	Drafts       map[string][]string // rep id → draft expenses (for edits)
	Big          person              // the rep of the initial-sync scenario
	Today        string              // org-local day for incurred_on
	PasswordHash string              // every generated user's
	Notes        []string            // what did not go as planned (e.g. rules refusing)
}

// shape says how much to generate.
type shape struct {
	Reps           int // reps, 10 per field team, 100 per region
	CustomersEach  int // per rep (each with one approved plan)
	VisitsEach     int
	ExpensesEach   int // draft expenses per rep
	BigRepVisible  int // records the big rep sees (0: no big rep)
	OrgBudgetYuan  int64
	PlanBudgetYuan int64
}

// gen creates records as the server (rules run, no permission applies), a
// transaction per rep, reporting progress to log.
type gen struct {
	app    core.App
	log    io.Writer
	hash   string // one bcrypt hash for every generated user
	w      *world
	period [2]string
}

func generate(app core.App, s shape, log io.Writer) (*world, error) {
	settings, err := org.LoadSettings(app)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	today := settings.Today(now)
	g := &gen{app: app, log: log, w: &world{
		Viewers: map[string][]string{}, Tokens: map[string]string{}, Devices: map[string]string{}, Plans: map[string][]plan{}, Drafts: map[string][]string{}, Today: today,
	}}
	g.period = [2]string{today[:4] + "-01-01", today[:4] + "-12-31"}
	if err := trustDeviceHeader(app); err != nil {
		return nil, err
	}
	if err := g.org(s); err != nil {
		return nil, fmt.Errorf("generate org: %w", err)
	}
	if err := g.work(s); err != nil {
		return nil, fmt.Errorf("generate work: %w", err)
	}
	g.w.PasswordHash = g.hash
	return g.w, nil
}

func (g *gen) note(format string, args ...any) {
	g.w.Notes = append(g.w.Notes, fmt.Sprintf(format, args...))
}

func (g *gen) newRecord(collection string, data map[string]any) (*core.Record, error) {
	c, err := g.app.FindCachedCollectionByNameOrId(collection)
	if err != nil {
		return nil, err
	}
	r := core.NewRecord(c)
	r.Load(data)
	return r, nil
}

func (g *gen) create(app core.App, collection string, data map[string]any) (*core.Record, error) {
	r, err := g.newRecord(collection, data)
	if err != nil {
		return nil, err
	}
	actor.AsServer(r)
	if err := app.Save(r); err != nil {
		return nil, fmt.Errorf("create %s: %w", collection, err)
	}
	return r, nil
}

func (g *gen) user(app core.App, name, role, team string, limitYuan int64) (*core.Record, error) {
	users, err := app.FindCachedCollectionByNameOrId("users")
	if err != nil {
		return nil, err
	}
	u := core.NewRecord(users)
	u.Load(map[string]any{"name": name, "role": role, "approval_limit": limitYuan * 100, "active": true, "team": team})
	u.SetEmail(name + "@bench.example.com")
	u.SetVerified(true)
	if g.hash == "" {
		u.SetPassword("bench-password-1")
	} else {
		u.SetRaw("password", &core.PasswordFieldValue{Hash: g.hash})
	}
	actor.AsServer(u)
	if err := app.Save(u); err != nil {
		return nil, fmt.Errorf("create user %s: %w", name, err)
	}
	if g.hash == "" {
		g.hash = u.GetString("password:hash")
	}
	return u, nil
}

func (g *gen) person(u *core.Record) (person, error) {
	tok, err := u.NewAuthToken()
	g.w.Tokens[u.Id] = tok
	n := len(g.w.Tokens)
	g.w.Devices[tok] = fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
	return person{ID: u.Id, Token: tok, Team: u.GetString("team")}, err
}

// team creates a team managed by a new user of the given role and limit.
func (g *gen) team(app core.App, name, parent, role string, limitYuan int64) (*core.Record, person, error) {
	m, err := g.user(app, "mgr-"+name, role, "", limitYuan)
	if err != nil {
		return nil, person{}, err
	}
	data := map[string]any{"name": name, "manager": m.Id}
	if parent != "" {
		data["parent"] = parent
	}
	t, err := g.create(app, "teams", data)
	if err != nil {
		return nil, person{}, err
	}
	m.Set("team", t.Id)
	actor.AsServer(m)
	if err := app.Save(m); err != nil {
		return nil, person{}, err
	}
	p, err := g.person(m)
	g.w.Staff = append(g.w.Staff, p)
	g.w.Viewers[t.Id] = t.GetStringSlice("viewers")
	return t, p, err
}

// org builds hq > regions (100 reps each) > field teams (10 reps each).
func (g *gen) org(s shape) error {
	bar := newProgress(g.log, "org: reps and their teams", s.Reps+1)
	defer bar.done()
	return g.app.RunInTransaction(func(tx core.App) error {
		hq, _, err := g.team(tx, "hq", "", "director", 100_000_000)
		if err != nil {
			return err
		}
		for _, role := range []string{"finance", "admin"} {
			if _, err := g.user(tx, role, role, hq.Id, 100_000_000); err != nil {
				return err
			}
		}
		var region, field *core.Record
		for i := range s.Reps + 1 {
			if i%100 == 0 {
				if region, _, err = g.team(tx, fmt.Sprintf("region-%d", i/100), hq.Id, "director", 50_000_000); err != nil {
					return err
				}
			}
			if i%10 == 0 {
				if field, _, err = g.team(tx, fmt.Sprintf("field-%d", i/10), region.Id, "manager", 10_000_000); err != nil {
					return err
				}
			}
			// the extra last rep is the big one of the initial-sync scenario
			u, err := g.user(tx, fmt.Sprintf("rep-%d", i), "rep", field.Id, 0)
			if err != nil {
				return err
			}
			p, err := g.person(u)
			if err != nil {
				return err
			}
			if i == s.Reps {
				g.w.Big = p
			} else {
				g.w.Reps = append(g.w.Reps, p)
			}
			bar.add(1)
		}
		return nil
	})
}

// work gives every rep customers with approved plans, visits and draft
// expenses, and the big rep enough of them to see s.BigRepVisible records.
func (g *gen) work(s shape) error {
	if _, err := g.create(g.app, "budgets", map[string]any{
		"name": "Bench org budget", "scope": "org", "period": "year", "period_start": g.period[0],
		"amount": s.OrgBudgetYuan * 100, "on_exceed": "warn", "warn_at_percent": 95,
	}); err != nil {
		return err
	}
	type load struct {
		rep                         person
		customers, visits, expenses int
	}
	loads := make([]load, 0, len(g.w.Reps)+1)
	for _, r := range g.w.Reps {
		loads = append(loads, load{r, s.CustomersEach, s.VisitsEach, s.ExpensesEach})
	}
	if s.BigRepVisible > 0 {
		// visible: customers + plans + approvals + visits + expenses
		c := max(s.BigRepVisible/50, 1)
		v := (s.BigRepVisible - 3*c) * 2 / 5
		loads = append(loads, load{g.w.Big, c, v, s.BigRepVisible - 3*c - v})
	}
	total := 0
	for _, l := range loads {
		total += 2*l.customers + l.visits + l.expenses
	}
	bar := newProgress(g.log, "work: customers, plans, visits, expenses", total)
	defer bar.done()

	// customers and plans in big transactions, approvals one by one (they
	// go through the real submit → approve flow), then visits and expenses.
	for _, l := range loads {
		var plans []*core.Record
		err := g.app.RunInTransaction(func(tx core.App) error {
			for i := range l.customers {
				c, err := g.create(tx, "customers", map[string]any{
					"name": fmt.Sprintf("Customer %s-%d", l.rep.ID, i), "owner": l.rep.ID,
					"annual_contract_amount": 200_000_000, "customer_since": "2024-03-01", "industry": "manufacturing",
					"address": "1 Bench Road", "contacts": []map[string]string{{"name": "Li Wei", "title": "buyer", "phone": "+86 10 5555 0100"}},
				})
				if err != nil {
					return err
				}
				p, err := g.create(tx, "plans", map[string]any{
					"customer": c.Id, "title": "Care plan " + c.Id, "methods": []string{"visit", "meal"},
					"period_start": g.period[0], "period_end": g.period[1], "planned_visits": 12, "budget": s.PlanBudgetYuan * 100,
				})
				if err != nil {
					return err
				}
				plans = append(plans, p)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, p := range plans {
			if err := g.approve(p, l.rep); err != nil {
				return err
			}
			g.w.Plans[l.rep.ID] = append(g.w.Plans[l.rep.ID], plan{p.Id, p.GetString("customer")})
		}
		bar.add(2 * l.customers)

		err = g.app.RunInTransaction(func(tx core.App) error {
			ps := g.w.Plans[l.rep.ID]
			for i := range l.visits {
				p := ps[i%len(ps)]
				if _, err := g.create(tx, "visits", map[string]any{
					"customer": p.Customer, "plan": p.ID, "kind": "visit", "status": "scheduled",
					"due_date": g.w.Today, "notes": "Quarterly check-in",
				}); err != nil {
					return err
				}
			}
			for i := range l.expenses {
				p := ps[i%len(ps)]
				x, err := g.create(tx, "expenses", expenseData(p, g.w.Today, i, 15_000))
				if err != nil {
					return err
				}
				g.w.Drafts[l.rep.ID] = append(g.w.Drafts[l.rep.ID], x.Id)
			}
			return nil
		})
		if err != nil {
			return err
		}
		bar.add(l.visits + l.expenses)
	}
	return nil
}

// expenseData is a draft expense on plan p of at most 1 + spread/100 yuan
// (under the receipt threshold); n varies the amount so that consecutive
// expenses do not look like duplicates.
func expenseData(p plan, day string, n, spread int) map[string]any {
	categories := []string{"meal", "transport"}
	descriptions := []string{"Lunch with the buyer", "Taxi to the plant", "Coffee with the site manager", "Train ticket"}
	return map[string]any{
		"plan": p.ID, "category": categories[n%2], "amount": 100 + (n*7919)%spread,
		"currency": "CNY", "incurred_on": day, "description": descriptions[n%len(descriptions)], "status": "draft",
	}
}

// approve moves a new plan to approved the way people do: the rep submits
// it, its approver approves. If the rules engine cannot route it (it is still
// being built), the server approves it directly and a note says so.
func (g *gen) approve(p *core.Record, rep person) error {
	repUser, err := g.app.FindRecordById("users", rep.ID)
	if err != nil {
		return err
	}
	fresh, err := g.app.FindRecordById("plans", p.Id)
	if err != nil {
		return err
	}
	fresh.Set("status", "submitted")
	actor.Bind(fresh, actor.FromAuth(repUser))
	if err := g.app.Save(fresh); err != nil {
		return fmt.Errorf("submit plan: %w", err)
	}
	if fresh, err = g.app.FindRecordById("plans", p.Id); err != nil {
		return err
	}
	if approverId := fresh.GetString("approver"); approverId != "" && fresh.GetString("status") == "submitted" {
		approver, err := g.app.FindRecordById("users", approverId)
		if err != nil {
			return err
		}
		a, err := g.newRecord("approvals", map[string]any{"plan": p.Id, "decision": "approve", "note": "ok"})
		if err != nil {
			return err
		}
		actor.Bind(a, actor.FromAuth(approver))
		if err := g.app.Save(a); err != nil {
			return fmt.Errorf("approve plan: %w", err)
		}
		if fresh, err = g.app.FindRecordById("plans", p.Id); err != nil {
			return err
		}
	}
	if fresh.GetString("status") == "approved" {
		return nil
	}
	if len(g.w.Notes) == 0 || g.w.Notes[len(g.w.Notes)-1] != noteForcedApproval {
		g.note(noteForcedApproval)
	}
	fresh.Set("status", "approved")
	fresh.Set("approved_budget", fresh.GetInt("budget"))
	actor.AsServer(fresh)
	return g.app.Save(fresh)
}

const noteForcedApproval = "plans approved by the server directly (the approval flow did not approve them)"

// deviceHeader carries a simulated phone's address; the bench's Rapport
// server trusts it as a proxy header (everything really comes from
// 127.0.0.1).
const deviceHeader = "X-Bench-Device-Ip"

func trustDeviceHeader(app core.App) error {
	settings := app.Settings()
	settings.TrustedProxy.Headers = []string{deviceHeader}
	return app.Save(settings)
}
