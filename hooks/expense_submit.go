package hooks

import (
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/audit"
	"rapport/internal/budget"
	"rapport/internal/org"
	"rapport/internal/txstate"
	"rapport/internal/violation"
)

// submitExpense runs every submit-time policy check on x, in the order of
// submitChecks, computes its flags, and routes it: auto-approved, or to its
// first approver.
func submitExpense(app core.App, x *core.Record, now time.Time) error {
	s, err := org.LoadSettings(app)
	if err != nil {
		return err
	}
	plan, err := app.FindRecordById("plans", x.GetString("plan"))
	if err != nil {
		return violation.New("plan", "validation_missing_rel_records", "The plan does not exist.")
	}
	sub := &submission{app: app, x: x, s: s, plan: plan, now: now,
		amount: int64(x.GetInt("amount")), day: x.GetString("incurred_on")}
	for _, check := range submitChecks {
		if err := check(sub); err != nil {
			return err
		}
	}
	return sub.route()
}

// submission is what the submit checks read and find: the expense, its
// plan, customer and budgets, and the flags raised so far.
type submission struct {
	app      core.App
	x, plan  *core.Record
	s        *org.Settings
	now      time.Time
	amount   int64
	day      string // incurred_on, an org-time-zone day
	customer *core.Record
	budgets  []*core.Record
	flags    []string
	escalate bool // a flag that sends it to finance too (finance_review)
}

// submitChecks are the submit-time policies, in the order they run: the
// first refusal answers, so when several apply the code a rep sees is the
// earliest here (the expense tests pin it, one code after another). The
// cheap checks of the expense and its plan come first, those that query
// other records after; the last ones refuse nothing but raise flags for
// the approver.
var submitChecks = []func(*submission) error{
	planStillTheirs,    // not_owner
	planInForce,        // plan_not_approved
	inOrgCurrency,      // currency_mismatch
	inPlanPeriod,       // outside_plan_period
	notInFuture,        // validation_date_invalid, expense_in_future
	notTooOld,          // expense_too_old
	receiptAttached,    // receipt_required
	receiptUnclaimed,   // duplicate_receipt
	withinTierPolicy,   // category_limit_exceeded, tier_cap_exceeded
	withinPlanBudget,   // plan_budget_exceeded, or flags
	withinBudgets,      // budget_exceeded, or flags
	flagDuplicate,      // possible_duplicate
	flagNoVisit,        // no_visit_same_day
	flagOffsiteCheckin, // offsite_checkin
	flagLateSubmission, // late_submission
}

// age is how many days ago, in the org time zone, the expense was incurred.
func (sub *submission) age() int { return daysBetween(sub.day, sub.s.Today(sub.now)) }

func (sub *submission) money(amount int64) string { return org.Money(amount, sub.s.Currency) }

func planStillTheirs(sub *submission) error {
	return spentBeforeReassignment(sub.app, sub.s, sub.x, sub.plan)
}

// planInForce: the plan must be approved, or approved earlier and waiting
// for a budget change to be approved (the old budget stays in force).
func planInForce(sub *submission) error {
	st := sub.plan.GetString("status")
	if st == "approved" || (st == "submitted" && sub.plan.GetInt("approved_budget") > 0) {
		return nil
	}
	return violation.New("plan", "plan_not_approved", "Plan %q is %s; expenses can be submitted only against an approved plan. Get the plan approved first.", sub.plan.GetString("title"), st)
}

// inOrgCurrency checks again what checkCurrency checked on the draft: the
// org currency may have changed since.
func inOrgCurrency(sub *submission) error {
	if c := sub.x.GetString("currency"); c != sub.s.Currency {
		return currencyMismatch(sub.s.Currency, c)
	}
	return nil
}

func inPlanPeriod(sub *submission) error {
	if start, end := sub.plan.GetString("period_start"), sub.plan.GetString("period_end"); sub.day < start || sub.day > end {
		return violation.New("incurred_on", "outside_plan_period", "The expense date %s is outside plan %q, which runs from %s to %s. Use a date in that period or another plan.", sub.day, sub.plan.GetString("title"), start, end)
	}
	return nil
}

// notInFuture allows future_tolerance_hours ahead: a rep near midnight, a
// phone's clock a little fast.
func notInFuture(sub *submission) error {
	incurred, err := sub.s.ParseDay(sub.day)
	if err != nil {
		return violation.New("incurred_on", dateInvalid, "incurred_on %s.", notADay(sub.day))
	}
	if incurred.After(sub.now.Add(time.Duration(sub.s.FutureToleranceHours) * time.Hour)) {
		return violation.New("incurred_on", "expense_in_future", "The expense date %s is in the future: today is %s, and an expense may be dated at most %d hours ahead. Submit it on or after the day it was incurred.", sub.day, sub.s.Today(sub.now), sub.s.FutureToleranceHours)
	}
	return nil
}

func notTooOld(sub *submission) error {
	if age := sub.age(); age > sub.s.MaxAgeDays {
		return violation.New("incurred_on", "expense_too_old", "This expense is %d days old; expenses must be submitted within %d days of the date they were incurred. Ask finance how to claim it.", age, sub.s.MaxAgeDays)
	}
	return nil
}

// receiptAttached: a receipt stored, or uploaded by this write.
func receiptAttached(sub *submission) error {
	x := sub.x
	if sub.amount > sub.s.ReceiptRequiredOver && x.GetString("receipt") == "" && len(x.GetUnsavedFiles("receipt")) == 0 {
		return violation.New("receipt", "receipt_required", "Expenses over %s need a receipt; this one is %s. Attach a photo or PDF of the receipt and submit again.", sub.money(sub.s.ReceiptRequiredOver), sub.money(sub.amount))
	}
	return nil
}

// receiptUnclaimed: a receipt (by its hash) is claimed by one submitted
// expense. Of someone else's expense, which the rep may not see, the
// message says nothing.
func receiptUnclaimed(sub *submission) error {
	sha := sub.x.GetString("receipt_sha256")
	if sha == "" {
		return nil
	}
	var other []struct {
		Id         string `db:"id"`
		IncurredOn string `db:"incurred_on"`
		Rep        string `db:"rep"`
	}
	err := sub.app.DB().Select("id", "incurred_on", "rep").From("expenses").
		Where(dbx.HashExp{"receipt_sha256": sha}).
		AndWhere(dbx.NewExp("receipt_sha256 != ''")). // the condition of idx_expenses_receipt: without it SQLite scans
		AndWhere(dbx.Not(dbx.HashExp{"status": "draft"})).
		AndWhere(dbx.Not(dbx.HashExp{"id": sub.x.Id})).Limit(1).All(&other)
	switch {
	case err != nil:
		return err
	case len(other) == 0:
		return nil
	case other[0].Rep == sub.x.GetString("rep"): // yours: say which
		return violation.New("receipt", "duplicate_receipt", "You already claimed this receipt on another expense (%s, dated %s). A receipt can be claimed once; attach the receipt of this expense.", other[0].Id, other[0].IncurredOn)
	default:
		return violation.New("receipt", "duplicate_receipt", "This receipt is already claimed on another rep's expense. A receipt can be claimed once; attach the receipt of this expense.")
	}
}

// withinTierPolicy applies the customer's tier policy: a limit per
// category and a yearly care cap.
func withinTierPolicy(sub *submission) error {
	id := sub.x.GetString("customer")
	customer, err := txstate.ReadRecord(sub.app, "customers", id, func() (*core.Record, error) {
		return sub.app.FindRecordById("customers", id)
	})
	if err != nil {
		return err
	}
	sub.customer = customer // shared with the transaction's other reads: read only
	tiers, err := org.LoadTiers(sub.app)
	if err != nil {
		return err
	}
	tier, ok := org.Find(tiers, customer.GetString("tier"))
	if !ok {
		return nil
	}
	category := sub.x.GetString("category")
	if limit, ok := tier.CategoryLimits[category]; ok && limit > 0 && sub.amount > limit {
		return violation.New("amount", "category_limit_exceeded", "A single %s expense for a tier %s customer may be at most %s; this one is %s. Lower the amount to %s or less.", category, tier.Tier, sub.money(limit), sub.money(sub.amount), sub.money(limit))
	}
	if cap := tier.AnnualCareCap; cap > 0 {
		spent, err := budget.CareSpend(sub.app, customer.Id, sub.day)
		if err != nil {
			return err
		}
		if spent+sub.amount > cap {
			return violation.New("amount", "tier_cap_exceeded", "%s (tier %s) has a yearly care cap of %s and already %s committed in %s: %s left, but this expense is %s.", customer.GetString("name"), tier.Tier, sub.money(cap), sub.money(spent), sub.day[:4], sub.money(max(cap-spent, 0)), sub.money(sub.amount))
		}
	}
	return nil
}

// withinPlanBudget: over the plan's approved budget, plan_on_exceed says
// whether to refuse, warn or escalate to finance.
func withinPlanBudget(sub *submission) error {
	approved, committed := int64(sub.plan.GetInt("approved_budget")), int64(sub.plan.GetInt("committed"))
	if committed+sub.amount <= approved {
		return nil
	}
	switch sub.s.PlanOnExceed {
	case "warn":
		sub.flags = append(sub.flags, "plan_over_budget")
	case "escalate":
		sub.flags = append(sub.flags, "plan_over_budget", "budget_escalated")
		sub.escalate = true
	default:
		return violation.New("amount", "plan_budget_exceeded", "Plan %q has %s left of its approved budget of %s (%s committed); this expense is %s. Lower the amount or raise the plan's budget (it needs approval again).", sub.plan.GetString("title"), sub.money(max(approved-committed, 0)), sub.money(approved), sub.money(committed), sub.money(sub.amount))
	}
	return nil
}

// withinBudgets: over a budget covering the expense, its on_exceed says
// whether to refuse, warn or escalate; near it (warn_at_percent), warn.
func withinBudgets(sub *submission) error {
	budgets, err := budget.Matching(sub.app, budget.Of(sub.x))
	if err != nil {
		return err
	}
	sub.budgets = budgets
	for _, b := range budgets {
		limit, committed := int64(b.GetInt("amount")), int64(b.GetInt("committed"))
		after := committed + sub.amount
		switch {
		case after <= limit:
			if after*100 >= limit*int64(warnPercent(b)) {
				sub.flags = append(sub.flags, "budget_warn")
			}
		case b.GetString("on_exceed") == "warn":
			sub.flags = append(sub.flags, "budget_warn")
		case b.GetString("on_exceed") == "escalate":
			sub.flags = append(sub.flags, "budget_escalated")
			sub.escalate = true
		default:
			return violation.New("amount", "budget_exceeded", "Budget %q (%s to %s) has %s left of %s; this expense is %s. Lower the amount or ask finance to raise the budget.", b.GetString("name"), b.GetString("period_start"), b.GetString("period_end"), sub.money(max(limit-committed, 0)), sub.money(limit), sub.money(sub.amount))
		}
	}
	return nil
}

// flagDuplicate: another submitted expense of the rep, same day, customer,
// category and amount.
func flagDuplicate(sub *submission) error {
	dup, err := countExpenses(sub.app, sub.x, dbx.HashExp{"rep": sub.x.GetString("rep"), "incurred_on": sub.day,
		"customer": sub.customer.Id, "category": sub.x.GetString("category"), "amount": sub.amount})
	if dup > 0 {
		sub.flags = append(sub.flags, "possible_duplicate")
	}
	return err
}

func flagNoVisit(sub *submission) error {
	visited, err := visitedOn(sub.app, sub.s, sub.customer.Id, sub.day)
	if err == nil && !visited {
		sub.flags = append(sub.flags, "no_visit_same_day")
	}
	return err
}

func flagOffsiteCheckin(sub *submission) error {
	offsite, err := offsiteOn(sub.app, sub.s, sub.customer.Id, sub.day)
	if offsite {
		sub.flags = append(sub.flags, offsiteFlag)
	}
	return err
}

// flagLateSubmission: older than org_settings.late_submission_days.
func flagLateSubmission(sub *submission) error {
	if sub.age() > sub.s.LateSubmissionDays {
		sub.flags = append(sub.flags, "late_submission")
	}
	return nil
}

// route stamps the submission and approves it at once (auto_approve_under,
// no flags) or sends it to the first approver of its charged team.
func (sub *submission) route() error {
	x := sub.x
	slices.Sort(sub.flags)
	flags := slices.Compact(sub.flags)
	if flags == nil {
		flags = []string{}
	}
	x.Set(submittedKey, &submitted{plan: sub.plan, budgets: sub.budgets})
	x.Set("flags", flags)
	x.Set("finance_review", sub.escalate)
	x.Set("submitted_at", types.NowDateTime())
	if sub.s.AutoApproveUnder > 0 && sub.amount <= sub.s.AutoApproveUnder && len(flags) == 0 {
		x.Set("status", "approved")
		x.Set("approved_at", types.NowDateTime())
		x.Set("approver", "")
		x.Set("approval_level", 0)
		x.Set(autoKey, true)
		return nil
	}
	return routeSubmit(sub.app, x, x.GetString("rep"))
}

// spentBeforeReassignment lets the rep of draft x submit it against a plan
// that has moved to another rep with its customer only when it was
// incurred on or before the day the customer left them: money spent while
// the customer was theirs is reimbursed, charged to their team and routed
// up their chain as if the move had not happened. A later draft spends
// nothing from a plan that is no longer theirs.
func spentBeforeReassignment(app core.App, s *org.Settings, x, plan *core.Record) error {
	rep := x.GetString("rep")
	if plan.GetString("owner") == rep {
		return nil
	}
	left, ok, err := audit.LeftAt(app, "customers", plan.GetString("customer"), "owner", rep)
	if err != nil {
		return err
	}
	if ok && x.GetString("incurred_on") <= s.Today(left) {
		return nil
	}
	return violation.New("plan", "not_owner", "This plan has moved to another rep with its customer; only expenses incurred before that (on or before the day it moved) can still be submitted against it by you. Delete this draft or ask your manager.")
}

// countExpenses counts the other non-draft expenses matching where.
func countExpenses(app core.App, x *core.Record, where dbx.Expression) (int, error) {
	var n int
	err := app.DB().Select("COUNT(*)").From("expenses").Where(where).
		AndWhere(dbx.Not(dbx.HashExp{"status": "draft"})).
		AndWhere(dbx.Not(dbx.HashExp{"id": x.Id})).Row(&n)
	return n, err
}

// visitedOn reports whether a done visit at customer happened on day (its
// start in the org time zone, or its due date when it has no start).
func visitedOn(app core.App, s *org.Settings, customerId, day string) (bool, error) {
	start, err := s.ParseDay(day)
	if err != nil {
		return false, err
	}
	from, _ := types.ParseDateTime(start)
	to, _ := types.ParseDateTime(start.AddDate(0, 0, 1))
	var n int
	// 'done' is written into the text: SQLite plans a query whose bound
	// value meets a partial index's condition (visits' status =
	// 'scheduled') for that value, and so prepared this one again on every
	// call (a twentieth of a pushed submit's CPU, docs/benchmarks.md).
	err = app.DB().Select("COUNT(*)").From("visits").
		Where(dbx.HashExp{"customer": customerId}).AndWhere(dbx.NewExp("status = 'done'")).
		AndWhere(dbx.NewExp("(started_at >= {:from} AND started_at < {:to}) OR (started_at = '' AND due_date = {:day})",
			dbx.Params{"from": from.String(), "to": to.String(), "day": day})).
		Limit(1).Row(&n)
	return n > 0, err
}

func warnPercent(b *core.Record) int {
	if p := b.GetInt("warn_at_percent"); p > 0 {
		return p
	}
	return 80
}

// daysBetween is the number of days from day a to day b (YYYY-MM-DD).
func daysBetween(a, b string) int {
	ta, _ := time.Parse(time.DateOnly, a)
	tb, _ := time.Parse(time.DateOnly, b)
	return int(tb.Sub(ta).Hours() / 24)
}
