package hooks_test

import (
	neturl "net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/hooks"
	"rapport/internal/audit"
	"rapport/internal/org"
	"rapport/internal/testkit"
)

// Real-world flows (issue 24): what reps, approvers and admins meet when
// days pass, people move and people leave.

// TestPlanGrace: a plan whose period ended yesterday still takes the
// expenses dated inside its period (the rep who paid on the last day and
// submits the next morning, or comes back online a week later) until
// plan_grace_days after period_end; only then does the job close it.
// Expenses dated after period_end are refused as before.
func TestPlanGrace(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	o.SetOrg(t, map[string]any{"receipt_required_over": testkit.Yuan(10_000), "plan_grace_days": 10})
	plan := mkPlan(t, o, "rita", "approved", 1000, map[string]any{"period_start": testkit.Day(-30), "period_end": testkit.Day(-1)})
	lastDay := mkExpense(t, o, plan, 100, map[string]any{"incurred_on": testkit.Day(-1)})
	afterEnd := mkExpense(t, o, plan, 100, map[string]any{"incurred_on": testkit.Day(0)})
	late := mkExpense(t, o, plan, 100, map[string]any{"incurred_on": testkit.Day(-2)})
	url := func(id string) string { return "/api/collections/expenses/records/" + id }

	if n, err := hooks.CloseExpiredPlans(app, time.Now()); err != nil || n != 0 {
		t.Fatalf("the hourly job the morning after period_end closed %d plans (%v), want none", n, err)
	}
	if res := c.Do("rita", "PATCH", url(lastDay.Id), submit); res.Status != 200 {
		t.Errorf("an expense of the plan's last day, submitted the next morning: %d %s", res.Status, res.Body)
	}
	if res := c.Do("rita", "PATCH", url(afterEnd.Id), submit); res.Code("incurred_on") != "outside_plan_period" {
		t.Errorf("an expense dated after period_end: %d %s", res.Status, res.Body)
	}

	// On the 10th day after period_end the plan still takes claims; the day after, it closes.
	if n, _ := hooks.CloseExpiredPlans(app, time.Now().AddDate(0, 0, 9)); n != 0 {
		t.Errorf("the plan closed on the last day of its grace")
	}
	if n, _ := hooks.CloseExpiredPlans(app, time.Now().AddDate(0, 0, 10)); n != 1 {
		t.Errorf("the plan is still open after its grace")
	}
	if res := c.Do("rita", "PATCH", url(late.Id), submit); res.Code("plan") != "plan_not_approved" {
		t.Errorf("an expense submitted after the plan closed: %d %s", res.Status, res.Body)
	}
}

// TestLateSubmissionDays: late_submission follows
// org_settings.late_submission_days (default 7).
func TestLateSubmissionDays(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	plan := mkPlan(t, o, "rita", "approved", 1000)
	flagged := func(days int) bool {
		t.Helper()
		x := mkExpense(t, o, plan, 10, map[string]any{"incurred_on": testkit.Day(-days)})
		res := c.Do("rita", "PATCH", "/api/collections/expenses/records/"+x.Id, submit)
		if res.Status != 200 {
			t.Fatalf("submit: %d %s", res.Status, res.Body)
		}
		flags, _ := res.JSON()["flags"].([]any)
		return slices.Contains(flags, any("late_submission"))
	}
	if flagged(7) || !flagged(8) {
		t.Errorf("by default an expense is late after 7 days")
	}
	o.SetOrg(t, map[string]any{"late_submission_days": 2})
	if flagged(2) || !flagged(3) {
		t.Errorf("with late_submission_days 2, an expense is late after 2 days")
	}
}

// TestBackupsRunAtNightInOrgTime: the backup schedule is 03:00 in
// org_settings.timezone written in the scheduler's UTC (the old default
// "0 3 * * *" was 11:00 in Beijing), follows a change of time zone, keeps
// an admin's own schedule, and keeps 3 backups.
func TestBackupsRunAtNightInOrgTime(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	if b := app.Settings().Backups; b.Cron != "0 3 * * *" || b.CronMaxKeep != 3 {
		t.Errorf("backups as migrated: cron %q keep %d, want the old 0 3 * * * and 3", b.Cron, b.CronMaxKeep)
	}
	testkit.NewClient(t, o) // serving schedules them
	if got := app.Settings().Backups.Cron; got != "0 19 * * *" {
		t.Errorf("backups at %q, want 0 19 * * * (03:00 in Shanghai)", got)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	o.SetOrg(t, map[string]any{"timezone": "Europe/Berlin"})
	if got, want := app.Settings().Backups.Cron, org.DailyCron(berlin, 3, time.Now()); got != want {
		t.Errorf("after the org moved to Berlin, backups at %q, want %q", got, want)
	}
	own := app.Settings()
	own.Backups.Cron = "30 1 * * *"
	if err := app.Save(own); err != nil {
		t.Fatal(err)
	}
	o.SetOrg(t, map[string]any{"timezone": "Asia/Shanghai"})
	if got := app.Settings().Backups.Cron; got != "30 1 * * *" {
		t.Errorf("an admin's own schedule became %q", got)
	}
}

// TestSignInLimitPerAccount: after 5 failed passwords in 15 minutes an
// account's sign-in pauses (429, the wait in seconds), even with the right
// password and whatever the address; other accounts are not affected, and
// concurrent guesses cannot overshoot the limit. The per-IP limit stays.
func TestSignInLimitPerAccount(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	if !slices.ContainsFunc(app.Settings().RateLimits.Rules, func(r core.RateLimitRule) bool { return r.Label == "*:auth" && r.MaxRequests == 10 }) {
		t.Errorf("the per-IP sign-in limit is gone: %+v", app.Settings().RateLimits.Rules)
	}
	app.Settings().RateLimits.Enabled = false // one test address stands for many
	signIn := func(identity, password string) testkit.Response {
		return c.Do("", "POST", "/api/collections/users/auth-with-password", map[string]any{"identity": identity, "password": password})
	}
	for i := range 5 {
		if res := signIn("rita@example.com", "guess"); res.Status != 400 {
			t.Fatalf("failed sign-in %d: %d %s", i+1, res.Status, res.Body)
		}
	}
	res := signIn("rita@example.com", "password123")
	if res.Status != 429 || res.Code("identity") != "too_many_attempts" || !strings.Contains(res.JSON()["message"].(string), "try again in 900 seconds") {
		t.Errorf("the right password after 5 failures: %d %s", res.Status, res.Body)
	}
	if res := signIn("rob@example.com", "password123"); res.Status != 200 {
		t.Errorf("another account signs in: %d %s", res.Status, res.Body)
	}

	// 20 guesses at once: 5 are checked, the others refused.
	var wg sync.WaitGroup
	statuses := make(chan int, 20)
	for range 20 {
		wg.Go(func() { statuses <- signIn("ed@example.com", "guess").Status })
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	if counts[400] != 5 || counts[429] != 15 {
		t.Errorf("20 concurrent guesses: %v, want 5 checked (400) and 15 refused (429)", counts)
	}
	// an identity with no account is paused alike
	for range 5 {
		signIn("nobody@example.com", "guess")
	}
	if res := signIn("nobody@example.com", "guess"); res.Status != 429 {
		t.Errorf("a made-up identity after 5 failures: %d", res.Status)
	}
}

// TestMovedRepIsDecidedWhereCharged: after rita moves from field to east,
// her pending expense stays charged to field and waits for field's
// manager, who owns the charged budget and decides it (before: routed to
// east's manager, and field's got not_approver).
func TestMovedRepIsDecidedWhereCharged(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	plan := mkPlan(t, o, "rita", "approved", 1000)
	x := mkExpense(t, o, plan, 100, map[string]any{"status": "submitted"})
	if res := c.Do("ada", "PATCH", "/api/collections/users/records/{user:rita}", `{"team":"{team:east}"}`); res.Status != 200 {
		t.Fatal(res.Status, string(res.Body))
	}
	if got := reload(t, app, "expenses", x.Id); got.GetString("approver") != o.Users["mia"].Id || got.GetString("team") != o.Teams["field"].Id {
		t.Errorf("after the move the expense waits for %s, charged to %s; want mia, field", nameOf(o, got.GetString("approver")), got.GetString("team"))
	}
	if res := c.Do("mia", "POST", approvalURL, map[string]any{"expense": x.Id, "decision": "approve", "acknowledge_flags": true}); res.Status != 200 || res.JSON()["final"] != true {
		t.Errorf("field's manager decides the expense charged to field: %d %s", res.Status, res.Body)
	}
}

// TestDecidersKeepSight: whoever decided a plan or expense keeps read
// access to it and its approvals, after leaving the chain.
func TestDecidersKeepSight(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	o.SetOrg(t, map[string]any{"receipt_required_over": testkit.Yuan(10_000)})
	plan := mkPlan(t, o, "rita", "submitted", 2000)
	x := mkExpense(t, o, mkPlan(t, o, "rita", "approved", 5000), 2000, map[string]any{"status": "submitted"})
	for _, target := range []map[string]any{{"plan": plan.Id}, {"expense": x.Id}} {
		target["decision"], target["acknowledge_flags"] = "approve", true
		if res := c.Do("mia", "POST", approvalURL, target); res.Status != 200 || res.JSON()["final"] != false {
			t.Fatalf("mia's approval (limit 1,000 yuan) of 2,000: %d %s", res.Status, res.Body)
		}
	}
	// mia leaves: eve manages field now (rita's chain: eve, dana).
	if res := c.Do("ada", "PATCH", "/api/collections/teams/records/{team:field}", `{"manager":"{user:eve}"}`); res.Status != 200 {
		t.Fatal(res.Status, string(res.Body))
	}
	for _, r := range []struct{ collection, id, field string }{{"plans", plan.Id, "plan"}, {"expenses", x.Id, "expense"}} {
		if res := c.Do("mia", "GET", "/api/collections/"+r.collection+"/records/"+r.id, nil); res.Status != 200 {
			t.Errorf("mia opens the %s she decided: %d", r.field, res.Status)
		}
		if res := c.Do("dana", "POST", approvalURL, map[string]any{r.field: r.id, "decision": "approve", "acknowledge_flags": true}); res.Status != 200 {
			t.Fatalf("dana decides: %d %s", res.Status, res.Body)
		}
		res := c.Do("mia", "GET", "/api/collections/approvals/records?filter=("+r.field+"='"+r.id+"')", nil)
		if n, _ := res.JSON()["totalItems"].(float64); n != 2 {
			t.Errorf("mia lists the approvals of the %s she decided: %v, want hers and dana's", r.field, res.JSON()["totalItems"])
		}
		if got := reload(t, app, r.collection, r.id).GetStringSlice("deciders"); !slices.Equal(got, []string{o.Users["mia"].Id, o.Users["dana"].Id}) {
			t.Errorf("%s deciders %v, want mia and dana", r.field, got)
		}
	}
	if res := c.Do("ed", "GET", "/api/collections/expenses/records/"+x.Id, nil); res.Status != 404 {
		t.Errorf("ed, who decided nothing, opens it: %d", res.Status)
	}
}

// TestDraftsBeforeReassignment: when Acme moves from rita to rob (with its
// open plan), rita's draft for money spent before the move is still hers
// to submit: charged to her team and decided in her chain. A draft dated
// after the move is refused not_owner.
func TestDraftsBeforeReassignment(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	o.MoveUser(t, "rob", "east") // rob's chain is east's
	plan := mkPlan(t, o, "rita", "approved", 1000)
	before := mkExpense(t, o, plan, 100, map[string]any{"incurred_on": testkit.Day(-3)})
	after := mkExpense(t, o, plan, 100, map[string]any{"incurred_on": testkit.Day(0)})
	if res := c.Do("ada", "PATCH", "/api/collections/customers/records/"+o.Customers["rita"].Id, map[string]any{"owner": o.Users["rob"].Id}); res.Status != 200 {
		t.Fatal(res.Status, string(res.Body))
	}
	if got := reload(t, app, "plans", plan.Id).GetString("owner"); got != o.Users["rob"].Id {
		t.Fatalf("the plan did not move with its customer")
	}
	res := c.Do("rita", "PATCH", "/api/collections/expenses/records/"+before.Id, submit)
	if res.Status != 200 {
		t.Fatalf("rita submits her draft of before the move: %d %s", res.Status, res.Body)
	}
	if got := res.JSON(); got["team"] != o.Teams["field"].Id || got["approver"] != o.Users["mia"].Id || got["rep"] != o.Users["rita"].Id {
		t.Errorf("the draft of before the move: team %v approver %v rep %v, want field, mia, rita", got["team"], got["approver"], got["rep"])
	}
	if got := reload(t, app, "plans", plan.Id).GetInt("committed"); int64(got) != testkit.Yuan(100) {
		t.Errorf("the plan has %d committed, want the 100 yuan", got)
	}
	// A draft moved to a date after the reassignment spends nothing from rob's plan.
	if res := c.Do("rita", "PATCH", "/api/collections/expenses/records/"+after.Id, map[string]any{"incurred_on": testkit.Day(1)}); res.Status != 200 {
		t.Fatal(res.Status, string(res.Body))
	}
	if res := c.Do("rita", "PATCH", "/api/collections/expenses/records/"+after.Id, submit); res.Code("plan") != "not_owner" {
		t.Errorf("rita submits a draft dated after the move: %d %s", res.Status, res.Body)
	}
}

// TestTiersFollowPolicyMinimums: raising tier B's min_annual_contract
// re-tiers the customers under it at once (audited as the admin), except
// a customer whose tier is locked.
func TestTiersFollowPolicyMinimums(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	locked := o.Reload(t, o.Customers["ed"])
	locked.Set("tier_locked", true)
	if err := testkit.Save(app, nil, locked); err != nil {
		t.Fatal(err)
	}
	b, err := app.FindFirstRecordByData("tier_policies", "tier", "B")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rita", "ed"} {
		if tier := o.Reload(t, o.Customers[name]).GetString("tier"); tier != "B" {
			t.Fatalf("%s's customer (400,000 yuan) is tier %s, want B", name, tier)
		}
	}
	if res := c.Do("ada", "PATCH", "/api/collections/tier_policies/records/"+b.Id, map[string]any{"min_annual_contract": testkit.Yuan(500_000)}); res.Status != 200 {
		t.Fatal(res.Status, string(res.Body))
	}
	if tier := o.Reload(t, o.Customers["rita"]).GetString("tier"); tier != "C" {
		t.Errorf("Acme (400,000 yuan) under B's new minimum of 500,000: tier %s, want C", tier)
	}
	if tier := o.Reload(t, o.Customers["ed"]).GetString("tier"); tier != "B" {
		t.Errorf("the locked customer moved to tier %s", tier)
	}
	var actor string
	if err := app.DB().NewQuery(`SELECT actor FROM audit_log WHERE collection = 'customers' AND record_id = {:id} AND json_extract(changes, '$.tier[1]') = 'C'`).
		Bind(map[string]any{"id": o.Customers["rita"].Id}).Row(&actor); err != nil || actor != o.Users["ada"].Id {
		t.Errorf("the re-tiering is audited as %q (%v), want ada", actor, err)
	}
}

// TestSeededDefaultsAreAudited: the first audit entries are the seeded
// tier policies and org settings, with every value, as the server's.
func TestSeededDefaultsAreAudited(t *testing.T) {
	app := testkit.NewApp(t)
	var rows []struct {
		Seq        int    `db:"seq"`
		Actor      string `db:"actor"`
		Action     string `db:"action"`
		Collection string `db:"collection"`
		Changes    string `db:"changes"`
	}
	if err := app.DB().NewQuery(`SELECT seq, actor, action, collection, changes FROM audit_log ORDER BY seq LIMIT 5`).All(&rows); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for i, r := range rows {
		if r.Seq != i+1 || r.Actor != "" || r.Action != "create" {
			t.Errorf("entry %d: seq %d actor %q action %s, want a create by the server", i+1, r.Seq, r.Actor, r.Action)
		}
		seen[r.Collection]++
		if r.Collection == "org_settings" {
			for _, want := range []string{`"plan_grace_days":[null,60]`, `"late_submission_days":[null,7]`, `"timezone":[null,"Asia/Shanghai"]`} {
				if !strings.Contains(r.Changes, want) {
					t.Errorf("the seeded org settings entry lacks %s: %s", want, r.Changes)
				}
			}
		}
		if r.Collection == "tier_policies" && !strings.Contains(r.Changes, `"min_annual_contract":[null,`) {
			t.Errorf("a seeded tier policy entry lacks its minimum: %s", r.Changes)
		}
	}
	if seen["tier_policies"] != 4 || seen["org_settings"] != 1 {
		t.Errorf("the first entries are %v, want the 4 tier policies and the org settings", seen)
	}

	// What migrations wrote after the seeding (the care settings) is
	// explained when the server starts, once.
	o := testkit.NewOrg(t, app)
	count := func() (n int) {
		_ = app.DB().NewQuery(`SELECT COUNT(*) FROM audit_log WHERE collection = 'org_settings'`).Row(&n)
		return n
	}
	testkit.NewClient(t, o)
	var changes string
	if err := app.DB().NewQuery(`SELECT changes FROM audit_log WHERE collection = 'org_settings' ORDER BY seq DESC LIMIT 1`).Row(&changes); err != nil ||
		!strings.Contains(changes, `"complaint_response_hours":[null,24]`) {
		t.Errorf("the care settings a later migration added are not explained: %s %v", changes, err)
	}
	before := count()
	settings, err := app.FindFirstRecordByFilter("org_settings", "")
	if err != nil {
		t.Fatal(err)
	}
	o.SetOrg(t, map[string]any{"care_lead_days": 5}) // an edit is audited as it is made
	if err := audit.Explain(app, reload(t, app, "org_settings", settings.Id)); err != nil {
		t.Fatal(err)
	}
	if after := count(); after != before+1 {
		t.Errorf("explaining again added %d org settings entries beyond the edit's", after-before-1)
	}
}

// TestDeactivationHandsOver: when rita leaves, her customers, open plans,
// scheduled visits and open complaints go to her approver (mia, field's manager), audited
// as ada who deactivated her, after the deactivation's own entry; her
// history stays hers (mia's notice: internal/notify TestHandoverNotice). With nobody above a leaver who has work, the
// deactivation is refused.
func TestDeactivationHandsOver(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	acme := o.Customers["rita"]
	open := mkPlan(t, o, "rita", "approved", 1000)
	pending := mkPlan(t, o, "rita", "submitted", 100)
	closed := mkPlan(t, o, "rita", "closed", 100)
	scheduled := testkit.MustCreate(t, app, nil, "visits", map[string]any{"customer": acme.Id, "due_date": testkit.Day(3)})
	done := testkit.MustCreate(t, app, nil, "visits", map[string]any{"customer": acme.Id, "status": "done", "due_date": testkit.Day(-3)})
	complaint := testkit.MustCreate(t, app, o.Users["rita"], "complaints", map[string]any{"customer": acme.Id, "summary": "late delivery"})
	var seq int
	if err := app.DB().NewQuery(`SELECT MAX(seq) FROM audit_log`).Row(&seq); err != nil {
		t.Fatal(err)
	}

	if res := c.Do("ada", "PATCH", "/api/collections/users/records/{user:rita}", `{"active":false}`); res.Status != 200 {
		t.Fatal(res.Status, string(res.Body))
	}
	mia, rita := o.Users["mia"].Id, o.Users["rita"].Id
	for _, r := range []struct {
		collection, id, field, want string
	}{
		{"customers", acme.Id, "owner", mia}, {"plans", open.Id, "owner", mia}, {"plans", pending.Id, "owner", mia},
		{"visits", scheduled.Id, "rep", mia}, {"complaints", complaint.Id, "owner", mia},
		{"plans", closed.Id, "owner", rita}, {"visits", done.Id, "rep", rita},
	} {
		if got := reload(t, app, r.collection, r.id).GetString(r.field); got != r.want {
			t.Errorf("%s %s %s: %s, want %s", r.collection, reload(t, app, r.collection, r.id).GetString("status"), r.field, nameOf(o, got), nameOf(o, r.want))
		}
	}
	if got := reload(t, app, "plans", pending.Id).GetString("approver"); got != o.Users["max"].Id {
		t.Errorf("the pending plan, now mia's, waits for %s, want max (mia's approver)", nameOf(o, got))
	}
	var entries []struct {
		Actor      string `db:"actor"`
		Collection string `db:"collection"`
	}
	if err := app.DB().NewQuery(`SELECT actor, collection FROM audit_log WHERE seq > {:seq} ORDER BY seq`).Bind(map[string]any{"seq": seq}).All(&entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) < 4 || entries[0].Collection != "users" {
		t.Fatalf("audit after the deactivation: %+v", entries)
	}
	for _, e := range entries {
		if e.Actor != o.Users["ada"].Id {
			t.Errorf("a %s entry of the hand-over is audited as %q, want ada", e.Collection, e.Actor)
		}
	}

	// dana, at the top, has nobody to hand a customer to.
	testkit.MustCreate(t, app, nil, "customers", map[string]any{"name": "Delta", "owner": o.Users["dana"].Id})
	if res := c.Do("ada", "PATCH", "/api/collections/users/records/{user:dana}", `{"active":false}`); res.Status != 400 || res.Code("active") != "no_approver" {
		t.Errorf("deactivating dana with a customer and nobody above: %d %s", res.Status, res.Body)
	}
}

// TestFinanceInbox: a request waiting for "any finance user" is in every
// active finance user's queue (the finance queue filter of the README),
// not only in that of the finance user recorded as its approver; when two
// decide at once, the first wins and the other is told it is decided.
func TestFinanceInbox(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	gus := core.NewRecord(o.Reload(t, o.Users["fay"]).Collection())
	gus.Load(map[string]any{"name": "gus", "role": "finance", "active": true, "team": o.Teams["hq"].Id})
	gus.SetEmail("gus@example.com")
	gus.SetPassword("password123")
	if err := testkit.Save(app, nil, gus); err != nil {
		t.Fatal(err)
	}
	o.Users["gus"] = gus
	plan := mkPlan(t, o, "rita", "approved", 5000)
	o.Budget(t, "rep", "escalate", 100, map[string]any{"rep": o.Users["rita"].Id})
	x := mkExpense(t, o, plan, 150, map[string]any{"status": "submitted"})
	if res := c.Do("mia", "POST", approvalURL, map[string]any{"expense": x.Id, "decision": "approve", "acknowledge_flags": true}); res.Status != 200 {
		t.Fatal(res.Status, string(res.Body))
	}
	for _, who := range []string{"fay", "gus"} {
		res := c.Do(who, "GET", "/api/collections/expenses/records?filter="+neturl.QueryEscape("status='submitted' && approver.role='finance' && rep!='"+o.Users[who].Id+"'"), nil)
		if n, _ := res.JSON()["totalItems"].(float64); res.Status != 200 || n != 1 {
			t.Errorf("%s's finance queue: %d %s", who, res.Status, res.Body)
		}
	}
	var wg sync.WaitGroup
	results := make(chan testkit.Response, 2)
	for _, who := range []string{"fay", "gus"} {
		wg.Go(func() {
			results <- c.Do(who, "POST", approvalURL, map[string]any{"expense": x.Id, "decision": "approve", "acknowledge_flags": true})
		})
	}
	wg.Wait()
	close(results)
	won := 0
	for res := range results {
		switch {
		case res.Status == 200:
			won++
		case res.Status != 400 || res.Code("decision") != "invalid_transition":
			t.Errorf("the second finance decision: %d %s", res.Status, res.Body)
		}
	}
	if n, _ := app.CountRecords("approvals", dbx.HashExp{"expense": x.Id}); won != 1 || n != 2 {
		t.Errorf("%d finance decisions won, %d approvals on record; want 1 and 2 (mia's, one finance)", won, n)
	}
	if got := reload(t, app, "expenses", x.Id).GetString("status"); got != "approved" {
		t.Errorf("the expense is %s", got)
	}
}
