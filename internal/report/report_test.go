package report_test

import (
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/flow"
	"rapport/internal/report"
	"rapport/internal/testkit"
)

// world is the standard org with a season of seeded activity: plans (one
// of each rep's spent past its approved budget), expenses in every status
// inside and outside the report range, visits, budgets and complaints.
type world struct {
	*testkit.Org
	client   *testkit.Client
	from, to string
}

var reps = []string{"rita", "rob", "ed"}

// roles are every user of the standard org.
var roles = []string{"rita", "rob", "ed", "mia", "max", "eve", "dana", "fay", "ada"}

func newWorld(t *testing.T) *world {
	t.Helper()
	app := testkit.NewApp(t)
	report.Register(app)
	o := testkit.NewOrg(t, app)
	o.SetOrg(t, map[string]any{"max_age_days": 120, "plan_on_exceed": "warn", "late_submission_days": 365})
	rng := rand.New(rand.NewPCG(19, 7))
	categories := []string{"meal", "gift", "travel", "transport", "event", "entertainment", "other"}
	statuses := []string{"draft", "submitted", "approved", "paid", "rejected"}
	for _, rep := range reps {
		customer := o.Customers[rep].Id
		plan := func(budgetYuan int64) *core.Record {
			p := testkit.MustCreate(t, app, o.Users[rep], "plans", map[string]any{"customer": customer, "title": "Care for " + rep,
				"methods": []string{"visit"}, "period_start": testkit.Day(-100), "period_end": testkit.Day(20), "budget": testkit.Yuan(budgetYuan)})
			if err := flow.Plan(app, p, "approved"); err != nil {
				t.Fatal(err)
			}
			return p
		}
		plans := []*core.Record{plan(3000), plan(50)}
		for i := range 10 {
			x := testkit.MustCreate(t, app, o.Users[rep], "expenses", map[string]any{"plan": plans[i%2].Id,
				"category": categories[rng.IntN(len(categories))], "amount": testkit.Yuan(int64(20 + rng.IntN(80))),
				"currency": "CNY", "incurred_on": testkit.Day(-rng.IntN(90)), "description": "care"})
			if err := flow.Expense(app, x, statuses[rng.IntN(len(statuses))]); err != nil {
				t.Fatal(err)
			}
		}
		// each rep's customer in its own tier, so that groupings by tier differ
		// from groupings by anything else
		located := o.Customers[rep]
		located.Set("location", map[string]any{"lon": 121.47, "lat": 31.23})
		located.Set("annual_contract_amount", map[string]int64{"rita": 200_000_000, "rob": 40_000_000, "ed": 6_000_000}[rep])
		if err := testkit.Save(app, nil, located); err != nil {
			t.Fatal(err)
		}
		for i := range 6 {
			due := -rng.IntN(70)
			v := map[string]any{"customer": customer, "kind": "visit", "due_date": testkit.Day(due),
				"window_start": testkit.Day(due - 3), "window_end": testkit.Day(due + 3)}
			switch i % 4 {
			case 0:
				v["status"] = "scheduled"
			case 1:
				v["status"] = "missed"
			default:
				v["status"] = "done"
				v["started_at"] = time.Now().AddDate(0, 0, due+rng.IntN(8)-4).Add(-2 * time.Hour)
				v["ended_at"] = time.Now().AddDate(0, 0, due+rng.IntN(8)-4).Add(-time.Hour)
				v["satisfaction"] = 1 + rng.IntN(5)
			}
			if v["status"] == "done" && v["ended_at"].(time.Time).Before(v["started_at"].(time.Time)) {
				v["ended_at"] = v["started_at"].(time.Time).Add(time.Hour)
			}
			if v["status"] == "done" && v["ended_at"].(time.Time).After(time.Now()) {
				v["started_at"], v["ended_at"] = time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour)
			}
			if i == 3 { // two days after its window closed
				due = -10 - rng.IntN(30)
				v["due_date"], v["window_start"], v["window_end"] = testkit.Day(due), testkit.Day(due-3), testkit.Day(due+3)
				v["ended_at"] = time.Now().AddDate(0, 0, due+5)
				v["started_at"] = v["ended_at"].(time.Time).Add(-time.Hour)
			}
			if i == 2 { // checked in 2.8 km from the customer: off-site
				v["checkin_location"] = map[string]any{"lon": 121.50, "lat": 31.23}
			}
			testkit.MustCreate(t, app, nil, "visits", v)
		}
		for i := range 4 {
			received := time.Now().Add(-time.Duration(rng.IntN(60*24)) * time.Hour)
			// logged open (the server derives owner, team and response_due),
			// then answered in the past as the SLA job and the rules would have
			k := testkit.MustCreate(t, app, nil, "complaints", map[string]any{"customer": customer,
				"channel": []string{"phone", "wechat", "email"}[i%3], "severity": []string{"low", "normal", "high"}[rng.IntN(3)],
				"summary": "late delivery", "received_at": received, "status": "open"})
			breached := true
			if i > 0 {
				responded := received.Add(time.Duration(1+rng.IntN(40)) * time.Hour)
				k.Set("status", "acknowledged")
				k.Set("first_response", "We called back.")
				k.Set("responded_at", responded)
				breached = responded.After(received.Add(24 * time.Hour))
			}
			k.Set("breached", breached)
			if err := testkit.Save(app, nil, k); err != nil {
				t.Fatal(err)
			}
		}
	}
	o.Budget(t, "org", "warn", 2_000)
	o.Budget(t, "team", "warn", 500, map[string]any{"team": o.Teams["field"].Id, "warn_at_percent": 10})
	o.Budget(t, "rep", "warn", 100, map[string]any{"rep": o.Users["ed"].Id})
	return &world{Org: o, client: testkit.NewClient(t, o), from: testkit.Day(-45), to: testkit.Day(0)}
}

// records lists every record of collection that as sees through the
// records API.
func (w *world) records(t *testing.T, as, collection string) []map[string]any {
	t.Helper()
	res := w.client.Do(as, "GET", "/api/collections/"+collection+"/records?perPage=1000", nil)
	if res.Status != 200 {
		t.Fatalf("%s lists %s: %d %s", as, collection, res.Status, res.Body)
	}
	var page struct {
		Items      []map[string]any `json:"items"`
		TotalItems int              `json:"totalItems"`
	}
	if err := json.Unmarshal(res.Body, &page); err != nil || len(page.Items) != page.TotalItems {
		t.Fatalf("%s lists %s: %v (%d of %d)", as, collection, err, len(page.Items), page.TotalItems)
	}
	return page.Items
}

// run asks report name as as and decodes the answer.
func (w *world) run(t *testing.T, as, name, groupBy string) map[string]any {
	t.Helper()
	q := url.Values{"from": {w.from}, "to": {w.to}}
	if groupBy != "" {
		q.Set("groupBy", groupBy)
	}
	res := w.client.Do(as, "GET", "/api/reports/"+name+"?"+q.Encode(), nil)
	if res.Status != 200 {
		t.Fatalf("%s: report %s by %s: %d %s", as, name, groupBy, res.Status, res.Body)
	}
	return res.JSON()
}

// figures is a report's figures per row key, plus "total".
type figures map[string]map[string]float64

func (f figures) add(key, figure string, v float64) {
	if f[key] == nil {
		f[key] = map[string]float64{}
	}
	f[key][figure] += v
}

// compare checks every figure of want against the report's rows and
// totals (absent figures count as zero), and that the report has no row
// want lacks.
func compare(t *testing.T, what string, got map[string]any, want figures, names ...string) {
	t.Helper()
	rows := map[string]map[string]any{"total": got["totals"].(map[string]any)}
	for _, r := range got["rows"].([]any) {
		row := r.(map[string]any)
		rows[row["key"].(string)] = row
	}
	keys := map[string]bool{}
	for k := range rows {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	for k := range keys {
		for _, name := range names {
			g, _ := rows[k][name].(float64)
			if w := want[k][name]; g != w {
				t.Errorf("%s: row %q: %s = %v, the records add up to %v", what, k, name, g, w)
			}
		}
	}
}

func num(r map[string]any, field string) float64 { v, _ := r[field].(float64); return v }
func str(r map[string]any, field string) string  { v, _ := r[field].(string); return v }

func inRange(w *world, day string) bool { return day >= w.from && day <= w.to }

// TestReportsAddUpLikeTheRecords: for every report and every user of the
// standard org, the figures are what that user adds up from the records
// the records API lists to them.
func TestReportsAddUpLikeTheRecords(t *testing.T) {
	w := newWorld(t)
	zone, _ := time.LoadLocation("Asia/Shanghai")
	for _, as := range roles {
		customers := map[string]map[string]any{}
		for _, c := range w.records(t, as, "customers") {
			customers[str(c, "id")] = c
		}
		expenses := w.records(t, as, "expenses")
		plans := w.records(t, as, "plans")
		visits := w.records(t, as, "visits")
		complaints := w.records(t, as, "complaints")
		tierOf := func(customer string) string { return str(customers[customer], "tier") }

		// spend, by each grouping
		for _, g := range []string{"customer", "tier", "rep", "team", "category", "month", "tier,month"} {
			want := figures{}
			for _, x := range expenses {
				if !inRange(w, str(x, "incurred_on")) || !slices.Contains([]string{"submitted", "approved", "paid"}, str(x, "status")) {
					continue
				}
				parts := map[string]string{"customer": str(x, "customer"), "tier": tierOf(str(x, "customer")), "rep": str(x, "rep"),
					"team": str(x, "team"), "category": str(x, "category"), "month": str(x, "incurred_on")[:7]}
				key := groupKey(parts, g)
				for _, k := range []string{key, "total"} {
					want.add(k, "committed", num(x, "amount"))
					if str(x, "status") != "submitted" {
						want.add(k, "approved", num(x, "amount"))
					}
					if str(x, "status") == "paid" {
						want.add(k, "paid", num(x, "amount"))
					}
				}
			}
			for _, p := range plans {
				if num(p, "approved_budget") == 0 || str(p, "period_start") > w.to || str(p, "period_end") < w.from {
					continue
				}
				want.add("total", "budget", num(p, "approved_budget"))
				if !strings.Contains(g, "category") && !strings.Contains(g, "month") {
					parts := map[string]string{"customer": str(p, "customer"), "tier": tierOf(str(p, "customer")), "rep": str(p, "owner"), "team": str(p, "team")}
					want.add(groupKey(parts, g), "budget", num(p, "approved_budget"))
				}
			}
			compare(t, as+" spend by "+g, w.run(t, as, "spend", g), want, "committed", "approved", "paid", "budget")
		}

		// budgets: those in force, and plans past their approved budget
		want := figures{}
		for _, b := range w.records(t, as, "budgets") {
			end := str(b, "period_end")
			if str(b, "period_start") > w.to || end < w.from {
				continue
			}
			for _, k := range []string{str(b, "id"), "total"} {
				want.add(k, "budget", num(b, "amount"))
				want.add(k, "committed", num(b, "committed"))
				want.add(k, "spent", num(b, "spent"))
			}
			want.add("total", "budgets", 1)
		}
		for _, p := range plans {
			if num(p, "approved_budget") > 0 && num(p, "committed") > num(p, "approved_budget") && str(p, "period_start") <= w.to && str(p, "period_end") >= w.from {
				want.add(str(p, "id"), "budget", num(p, "approved_budget"))
				want.add(str(p, "id"), "committed", num(p, "committed"))
				want.add(str(p, "id"), "spent", num(p, "spent"))
				want.add("total", "plans_over_budget", 1)
			}
		}
		compare(t, as+" budgets", w.run(t, as, "budgets", ""), want, "budget", "committed", "spent", "budgets", "plans_over_budget")

		// visits compliance
		for _, g := range []string{"rep", "tier", "team"} {
			want := figures{}
			for _, v := range visits {
				if !inRange(w, str(v, "due_date")) || str(v, "status") == "cancelled" {
					continue
				}
				key := groupKey(map[string]string{"rep": str(v, "rep"), "tier": tierOf(str(v, "customer")), "team": str(v, "team")}, g)
				figure := "remaining"
				switch str(v, "status") {
				case "missed":
					figure = "missed"
				case "done":
					ended, _ := types.ParseDateTime(str(v, "ended_at"))
					figure = "done_on_time"
					if ended.Time().In(zone).Format(time.DateOnly) > str(v, "window_end") {
						figure = "done_late"
					}
				}
				for _, k := range []string{key, "total"} {
					want.add(k, "planned", 1)
					want.add(k, figure, 1)
					if str(v, "checkin_result") == "outside" {
						want.add(k, "offsite_checkins", 1)
					}
				}
			}
			compare(t, as+" visits by "+g, w.run(t, as, "visits", g), want, "planned", "done_on_time", "done_late", "missed", "remaining", "offsite_checkins")
		}

		// roi: care spend against contracts, a year before, visits, complaints
		for _, g := range []string{"customer", "tier"} {
			want := figures{}
			key := func(customer string) string {
				return groupKey(map[string]string{"customer": customer, "tier": tierOf(customer)}, g)
			}
			for id, c := range customers {
				want.add(key(id), "annual_contract", num(c, "annual_contract_amount"))
				want.add("total", "annual_contract", num(c, "annual_contract_amount"))
			}
			for _, x := range expenses {
				if inRange(w, str(x, "incurred_on")) && slices.Contains([]string{"submitted", "approved", "paid"}, str(x, "status")) {
					want.add(key(str(x, "customer")), "care_spend", num(x, "amount"))
					want.add("total", "care_spend", num(x, "amount"))
				}
			}
			for _, v := range visits {
				if inRange(w, str(v, "due_date")) && str(v, "status") == "done" {
					want.add(key(str(v, "customer")), "visits_done", 1)
					want.add("total", "visits_done", 1)
				}
			}
			for _, k := range complaints {
				received, _ := types.ParseDateTime(str(k, "received_at"))
				if inRange(w, received.Time().In(zone).Format(time.DateOnly)) {
					want.add(key(str(k, "customer")), "complaints", 1)
					want.add("total", "complaints", 1)
				}
			}
			compare(t, as+" roi by "+g, w.run(t, as, "roi", g), want, "annual_contract", "care_spend", "care_spend_prev", "visits_done", "complaints")
		}

		// complaints
		for _, g := range []string{"rep", "team", "severity", "channel"} {
			want := figures{}
			for _, k := range complaints {
				received, _ := types.ParseDateTime(str(k, "received_at"))
				if !inRange(w, received.Time().In(zone).Format(time.DateOnly)) {
					continue
				}
				key := groupKey(map[string]string{"rep": str(k, "owner"), "team": str(k, "team"), "severity": str(k, "severity"), "channel": str(k, "channel")}, g)
				for _, kk := range []string{key, "total"} {
					want.add(kk, "received", 1)
					if k["breached"] == true {
						want.add(kk, "breached", 1)
					}
					if str(k, "status") == "open" || str(k, "status") == "acknowledged" {
						want.add(kk, "open", 1)
					}
					responded, _ := types.ParseDateTime(str(k, "responded_at"))
					due, _ := types.ParseDateTime(str(k, "response_due"))
					if !responded.IsZero() && !responded.Time().After(due.Time()) {
						want.add(kk, "within_sla", 1)
					}
				}
			}
			compare(t, as+" complaints by "+g, w.run(t, as, "complaints", g), want, "received", "within_sla", "breached", "open")
		}

		// audit: the findings listed
		want = figures{}
		for _, x := range expenses {
			if inRange(w, str(x, "incurred_on")) && str(x, "status") != "draft" && len(asList(x["flags"])) > 0 {
				want.add("flagged_expense:"+str(x, "id"), "amount", num(x, "amount"))
				want.add("total", "flagged_expense", 1)
			}
		}
		byId := map[string]map[string]any{}
		for _, x := range expenses {
			byId[str(x, "id")] = x
		}
		for _, a := range w.records(t, as, "approvals") {
			if x, ok := byId[str(a, "expense")]; ok && a["acknowledge_flags"] == true && inRange(w, str(x, "incurred_on")) {
				want.add("acknowledged_flags:"+str(a, "id"), "amount", num(x, "amount"))
				want.add("total", "acknowledged_flags", 1)
			}
		}
		for _, v := range visits {
			if inRange(w, str(v, "due_date")) && str(v, "checkin_result") == "outside" {
				want.add("offsite_checkin:"+str(v, "id"), "amount", 0)
				want.add("total", "offsite_checkin", 1)
			}
		}
		for _, k := range complaints {
			received, _ := types.ParseDateTime(str(k, "received_at"))
			if inRange(w, received.Time().In(zone).Format(time.DateOnly)) && k["breached"] == true {
				want.add("breached_complaint:"+str(k, "id"), "amount", 0)
				want.add("total", "breached_complaint", 1)
			}
		}
		got := w.run(t, as, "audit", "")
		if as == "fay" { // the seed must exercise every figure the comparisons check
			totals := got["totals"].(map[string]any)
			for _, kind := range []string{"flagged_expense", "acknowledged_flags", "offsite_checkin", "breached_complaint"} {
				if num(totals, kind) == 0 {
					t.Errorf("the seed has no %s in range", kind)
				}
			}
			visits := w.run(t, as, "visits", "rep")["totals"].(map[string]any)
			budgets := w.run(t, as, "budgets", "")["totals"].(map[string]any)
			for what, v := range map[string]float64{"done late": num(visits, "done_late"), "missed": num(visits, "missed"),
				"remaining": num(visits, "remaining"), "plans over budget": num(budgets, "plans_over_budget"),
				"exceeded budgets": num(budgets, "exceeded")} {
				if v == 0 {
					t.Errorf("the seed has no %s in range", what)
				}
			}
		}
		compare(t, as+" audit", got, want, "amount", "flagged_expense", "acknowledged_flags", "offsite_checkin", "breached_complaint")
		for _, r := range got["rows"].([]any) {
			if k := str(r.(map[string]any), "key"); want[k] == nil {
				t.Errorf("%s audit: finding %s is not in the records", as, k)
			}
		}
	}
}

// groupKey is a row key: the grouping values joined by "|".
func groupKey(parts map[string]string, groupBy string) string {
	var out []string
	for _, g := range strings.Split(groupBy, ",") {
		out = append(out, parts[g])
	}
	return strings.Join(out, "|")
}

func asList(v any) []any { l, _ := v.([]any); return l }
