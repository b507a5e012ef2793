package hooks_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/org"
	"rapport/internal/testkit"
)

// Every threshold of the submit rules, probed one minor unit, day or hour
// below its limit, at it, and above it. A rule whose comparison slips from
// `>` to `>=` (or the reverse) changes the answer at exactly the limit, which
// no case far from the limit can notice.

// steps are the offsets from a rule's limit that every threshold test probes.
var steps = []int{-1, 0, +1}

// atLimit runs one submit case per step; build returns the case for the
// value limit+step.
func atLimit(t *testing.T, rule string, build func(step int) testkit.Case) {
	t.Helper()
	for _, step := range steps {
		c := build(step)
		c.Name = fmt.Sprintf("%s at limit%+d", rule, step)
		if c.As == "" {
			c.As, c.Method, c.URL, c.Body = "rita", "PATCH", expenseURL, submit
		}
		c.Run(t)
	}
}

// refusedWith is the answer of a submit refused with code on field.
func refusedWith(c testkit.Case, field, code string) testkit.Case {
	c.Status = 400
	c.Contains = []string{`"` + field + `":{"code":"` + code + `"`}
	c.Check = status("expenses", "x", "draft")
	return c
}

// accepted is the answer of a submit that went through.
func accepted(c testkit.Case) testkit.Case {
	c.Status = 200
	c.Contains = []string{`"status":"submitted"`}
	return c
}

// lacksFlag checks that the expense {x} does not carry flag.
func lacksFlag(flag string) func(t testing.TB, o *testkit.Org) {
	return expect(func(t testing.TB, x *core.Record) {
		if flags := x.GetStringSlice("flags"); slices.Contains(flags, flag) {
			t.Errorf("flags %v, want no %s", flags, flag)
		}
	})
}

// draftOf seeds an approved plan {p} of planYuan and a draft expense {x} of
// amount minor units, with more expense fields in extra.
func draftOf(planYuan, amount int64, extra ...map[string]any) func(t testing.TB, o *testkit.Org) {
	return func(t testing.TB, o *testkit.Org) {
		plan := ref(o, "p", mkPlan(t, o, "rita", "approved", planYuan, map[string]any{"period_start": testkit.Day(-100)}))
		ref(o, "x", mkExpense(t, o, plan, 0, append([]map[string]any{{"amount": amount}}, extra...)...))
	}
}

// withOrg sets org_settings values before the case.
func withOrg(values map[string]any) func(t testing.TB, o *testkit.Org) {
	return func(t testing.TB, o *testkit.Org) { o.SetOrg(t, values) }
}

// noReceiptRule lifts receipt_required_over out of the way of a rule
// probed with amounts above it.
var noReceiptRule = withOrg(map[string]any{"receipt_required_over": testkit.Yuan(1_000_000)})

// receipt_required: amount > receipt_required_over (set to its default,
// 20,000).
func TestReceiptRequiredAtReceiptRequiredOver(t *testing.T) {
	const limit = 20_000
	atLimit(t, "receipt_required", func(step int) testkit.Case {
		c := testkit.Case{Setup: then(withOrg(map[string]any{"receipt_required_over": limit}), draftOf(1000, limit+int64(step)))}
		if step > 0 {
			return refusedWith(c, "receipt", "receipt_required")
		}
		return accepted(c)
	})
}

// expense_too_old: more than max_age_days (set to its default, 60) days
// before today.
func TestExpenseTooOldAtMaxAgeDays(t *testing.T) {
	const limit = 60
	atLimit(t, "expense_too_old", func(step int) testkit.Case {
		c := testkit.Case{Setup: then(withOrg(map[string]any{"max_age_days": limit}), draftOf(1000, 100, map[string]any{"incurred_on": testkit.Day(-(limit + step))}))}
		if step > 0 {
			return refusedWith(c, "incurred_on", "expense_too_old")
		}
		return accepted(c)
	})
}

// late_submission: submitted more than 7 days after it was incurred.
func TestLateSubmissionAtItsLimit(t *testing.T) {
	const limit = 7
	atLimit(t, "late_submission", func(step int) testkit.Case {
		c := accepted(testkit.Case{Setup: draftOf(1000, 100, map[string]any{"incurred_on": testkit.Day(-(limit + step))})})
		if step > 0 {
			c.Check = hasFlags("late_submission")
		} else {
			c.Check = lacksFlag("late_submission")
		}
		return c
	})
}

// expense_in_future: the expense's day starts later than now +
// future_tolerance_hours. Tomorrow starts (in the org time zone) between
// limit−1 and limit whole hours from now, limit being that gap rounded up:
// a tolerance of limit−1 hours refuses an expense dated tomorrow, limit
// and limit+1 hours accept it.
func TestExpenseInFutureAtFutureToleranceHours(t *testing.T) {
	tomorrowIn := func() (string, int) {
		zone, err := time.LoadLocation(org.DefaultTimezone)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().In(zone)
		y, m, d := now.Date()
		tomorrow := time.Date(y, m, d+1, 0, 0, 0, 0, zone)
		return tomorrow.Format(time.DateOnly), int(math.Ceil(tomorrow.Sub(now).Hours()))
	}
	atLimit(t, "expense_in_future", func(step int) testkit.Case {
		c := testkit.Case{Setup: func(t testing.TB, o *testkit.Org) {
			// Computed right before the request, so that the gap cannot
			// cross a whole hour in between (but for a few milliseconds).
			day, limit := tomorrowIn()
			o.SetOrg(t, map[string]any{"future_tolerance_hours": limit + step})
			draftOf(1000, 100, map[string]any{"incurred_on": day})(t, o)
		}}
		if step < 0 {
			return refusedWith(c, "incurred_on", "expense_in_future")
		}
		return accepted(c)
	})
}

// category_limit_exceeded: amount > the tier's category_limits[category]
// (tier B meals: 1,000 yuan).
func TestCategoryLimitExceededAtTheLimit(t *testing.T) {
	const limit = 100_000
	atLimit(t, "category_limit_exceeded", func(step int) testkit.Case {
		c := testkit.Case{Setup: then(noReceiptRule, draftOf(5000, limit+int64(step), map[string]any{"category": "meal"}))}
		if step > 0 {
			return refusedWith(c, "amount", "category_limit_exceeded")
		}
		return accepted(c)
	})
}

// tier_cap_exceeded: this year's care spend at the customer + amount >
// the tier's annual_care_cap (tier B: 8,000 yuan; 7,500 already spent).
func TestTierCapExceededAtTheCap(t *testing.T) {
	left := testkit.Yuan(8000 - 7500)
	atLimit(t, "tier_cap_exceeded", func(step int) testkit.Case {
		c := testkit.Case{Setup: then(noReceiptRule, draftOf(20_000, left+int64(step)), existing("approved", 7500))}
		if step > 0 {
			return refusedWith(c, "amount", "tier_cap_exceeded")
		}
		return accepted(c)
	})
}

// plan_budget_exceeded: the plan's committed + amount > approved_budget
// (500 yuan, 400 committed), with plan_on_exceed = stop.
func TestPlanBudgetExceededAtTheLimit(t *testing.T) {
	left := testkit.Yuan(500 - 400)
	atLimit(t, "plan_budget_exceeded", func(step int) testkit.Case {
		c := testkit.Case{Setup: then(draftOf(500, left+int64(step)), existing("approved", 400))}
		if step > 0 {
			return refusedWith(c, "amount", "plan_budget_exceeded")
		}
		return accepted(c)
	})
}

// budget_exceeded: a stop budget's committed + amount > its amount (1,000
// yuan, 900 committed).
func TestBudgetExceededAtTheLimit(t *testing.T) {
	left := testkit.Yuan(1000 - 900)
	atLimit(t, "budget_exceeded", func(step int) testkit.Case {
		c := testkit.Case{Setup: then(draftOf(5000, left+int64(step)), existing("approved", 900), func(t testing.TB, o *testkit.Org) {
			o.Budget(t, "org", "stop", 1000)
		})}
		if step > 0 {
			return refusedWith(c, "amount", "budget_exceeded")
		}
		return accepted(c)
	})
}

// budget_warn: once committed + amount reaches warn_at_percent of a
// budget (80 % of 100 yuan: 80 yuan).
func TestBudgetWarnAtWarnAtPercent(t *testing.T) {
	const limit = 8000
	atLimit(t, "budget_warn", func(step int) testkit.Case {
		c := accepted(testkit.Case{Setup: then(draftOf(1000, limit+int64(step)), func(t testing.TB, o *testkit.Org) {
			o.Budget(t, "rep", "stop", 0, map[string]any{"rep": o.Users["rita"].Id, "amount": 10_000, "warn_at_percent": 80})
		})})
		if step >= 0 {
			c.Check = hasFlags("budget_warn")
		} else {
			c.Check = lacksFlag("budget_warn")
		}
		return c
	})
}

// Auto approval: amount <= auto_approve_under and no flags.
func TestAutoApprovalAtAutoApproveUnder(t *testing.T) {
	const limit = 10_000
	atLimit(t, "auto_approve_under", func(step int) testkit.Case {
		c := testkit.Case{Setup: then(draftOf(1000, limit+int64(step)), func(t testing.TB, o *testkit.Org) {
			visitDone(t, o, "rita", testkit.Day(0))
			o.SetOrg(t, map[string]any{"auto_approve_under": limit})
		})}
		if step > 0 {
			return accepted(c)
		}
		c.Status, c.Contains = 200, []string{`"status":"approved"`, `"approver":""`}
		return c
	})
}

// outside_plan_period: the expense's day before the plan's period_start or
// after its period_end; both ends belong to the period.
func TestOutsidePlanPeriodAtBothEnds(t *testing.T) {
	for _, end := range []struct {
		field string
		day   int // that end of the plan, in days from today
	}{{"period_start", -10}, {"period_end", -5}} {
		atLimit(t, "outside_plan_period at "+end.field, func(step int) testkit.Case {
			c := testkit.Case{Setup: func(t testing.TB, o *testkit.Org) {
				plan := ref(o, "p", mkPlan(t, o, "rita", "approved", 1000, map[string]any{"period_start": testkit.Day(-10), "period_end": testkit.Day(-5)}))
				ref(o, "x", mkExpense(t, o, plan, 100, map[string]any{"incurred_on": testkit.Day(end.day + step)}))
			}}
			outside := (end.field == "period_start" && step < 0) || (end.field == "period_end" && step > 0)
			if outside {
				return refusedWith(c, "incurred_on", "outside_plan_period")
			}
			return accepted(c)
		})
	}
}

// approval_limit: an approval by someone whose approval_limit >= amount is
// final; above it the expense or plan moves on to the next approver (mia's
// limit is 1,000 yuan, then max).
func TestApprovalLimitFinalityAtTheLimit(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	o.SetOrg(t, map[string]any{"receipt_required_over": testkit.Yuan(1_000_000)})
	limit := int64(o.Users["mia"].GetInt("approval_limit"))
	for _, step := range steps {
		amount := limit + int64(step)
		wantFinal, wantStatus, wantApprover := step <= 0, "approved", ""
		if !wantFinal {
			wantStatus, wantApprover = "submitted", o.Users["max"].Id
		}
		plan := mkPlan(t, o, "rita", "approved", 5000)
		x := mkExpense(t, o, plan, 0, map[string]any{"amount": amount, "status": "submitted"})
		draft := mkPlan(t, o, "rita", "draft", 0, map[string]any{"budget": amount})
		if res := c.Do("rita", "PATCH", "/api/collections/plans/records/"+draft.Id, submit); res.Status != 200 {
			t.Fatalf("plan of %d: submit: %d %s", amount, res.Status, res.Body)
		}
		for _, r := range []struct{ collection, field, id string }{{"expenses", "expense", x.Id}, {"plans", "plan", draft.Id}} {
			res := c.Do("mia", "POST", approvalURL, map[string]any{r.field: r.id, "decision": "approve", "acknowledge_flags": true})
			if res.Status != 200 || res.JSON()["final"] != wantFinal {
				t.Errorf("%s of limit%+d: mia's approval %d %s, want final %v", r.field, step, res.Status, res.Body, wantFinal)
			}
			if got := reload(t, app, r.collection, r.id); got.GetString("status") != wantStatus || got.GetString("approver") != wantApprover {
				t.Errorf("%s of limit%+d: %s waiting for %q, want %s waiting for %q", r.field, step,
					got.GetString("status"), nameOf(o, got.GetString("approver")), wantStatus, nameOf(o, wantApprover))
			}
		}
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
