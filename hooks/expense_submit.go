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
	"rapport/internal/violation"
)

// submitExpense runs every submit-time policy check on x, computes its
// flags, and routes it: auto-approved, or to its first approver.
func submitExpense(app core.App, x *core.Record, now time.Time) error {
	s, err := org.LoadSettings(app)
	if err != nil {
		return err
	}
	plan, err := app.FindRecordById("plans", x.GetString("plan"))
	if err != nil {
		return violation.New("plan", "validation_missing_rel_records", "The plan does not exist.")
	}
	if err := spentBeforeReassignment(app, s, x, plan); err != nil {
		return err
	}
	amount := int64(x.GetInt("amount"))
	cur := s.Currency
	day := x.GetString("incurred_on")
	title := plan.GetString("title")
	approvedBudget := int64(plan.GetInt("approved_budget"))

	// The plan must be in force: approved, or approved earlier and waiting
	// for a budget change to be approved (the old budget stays in force).
	if st := plan.GetString("status"); st != "approved" && !(st == "submitted" && approvedBudget > 0) {
		return violation.New("plan", "plan_not_approved", "Plan %q is %s; expenses can be submitted only against an approved plan. Get the plan approved first.", title, st)
	}
	if c := x.GetString("currency"); c != cur {
		return currencyMismatch(cur, c)
	}
	if start, end := plan.GetString("period_start"), plan.GetString("period_end"); day < start || day > end {
		return violation.New("incurred_on", "outside_plan_period", "The expense date %s is outside plan %q, which runs from %s to %s. Use a date in that period or another plan.", day, title, start, end)
	}
	incurred, err := s.ParseDay(day)
	if err != nil {
		return violation.New("incurred_on", dateInvalid, "incurred_on %s.", notADay(day))
	}
	today := s.Today(now)
	if incurred.After(now.Add(time.Duration(s.FutureToleranceHours) * time.Hour)) {
		return violation.New("incurred_on", "expense_in_future", "The expense date %s is in the future: today is %s, and an expense may be dated at most %d hours ahead. Submit it on or after the day it was incurred.", day, today, s.FutureToleranceHours)
	}
	age := daysBetween(day, today)
	if age > s.MaxAgeDays {
		return violation.New("incurred_on", "expense_too_old", "This expense is %d days old; expenses must be submitted within %d days of the date they were incurred. Ask finance how to claim it.", age, s.MaxAgeDays)
	}
	if amount > s.ReceiptRequiredOver && x.GetString("receipt") == "" && len(x.GetUnsavedFiles("receipt")) == 0 { // stored, or uploaded by this write
		return violation.New("receipt", "receipt_required", "Expenses over %s need a receipt; this one is %s. Attach a photo or PDF of the receipt and submit again.", org.Money(s.ReceiptRequiredOver, cur), org.Money(amount, cur))
	}
	if sha := x.GetString("receipt_sha256"); sha != "" {
		var other []struct {
			Id         string `db:"id"`
			IncurredOn string `db:"incurred_on"`
			Rep        string `db:"rep"`
		}
		err := app.DB().Select("id", "incurred_on", "rep").From("expenses").
			Where(dbx.HashExp{"receipt_sha256": sha}).
			AndWhere(dbx.NewExp("receipt_sha256 != ''")). // the condition of idx_expenses_receipt: without it SQLite scans
			AndWhere(dbx.Not(dbx.HashExp{"status": "draft"})).
			AndWhere(dbx.Not(dbx.HashExp{"id": x.Id})).Limit(1).All(&other)
		if err != nil {
			return err
		}
		switch {
		case len(other) == 0:
		case other[0].Rep == x.GetString("rep"): // yours: say which
			return violation.New("receipt", "duplicate_receipt", "You already claimed this receipt on another expense (%s, dated %s). A receipt can be claimed once; attach the receipt of this expense.", other[0].Id, other[0].IncurredOn)
		default: // someone else's, which you may not see
			return violation.New("receipt", "duplicate_receipt", "This receipt is already claimed on another rep's expense. A receipt can be claimed once; attach the receipt of this expense.")
		}
	}

	customer, err := app.FindRecordById("customers", x.GetString("customer"))
	if err != nil {
		return err
	}
	tiers, err := org.LoadTiers(app)
	if err != nil {
		return err
	}
	if tier, ok := org.Find(tiers, customer.GetString("tier")); ok {
		category := x.GetString("category")
		if limit, ok := tier.CategoryLimits[category]; ok && limit > 0 && amount > limit {
			return violation.New("amount", "category_limit_exceeded", "A single %s expense for a tier %s customer may be at most %s; this one is %s. Lower the amount to %s or less.", category, tier.Tier, org.Money(limit, cur), org.Money(amount, cur), org.Money(limit, cur))
		}
		if cap := tier.AnnualCareCap; cap > 0 {
			spent, err := budget.CareSpend(app, customer.Id, day)
			if err != nil {
				return err
			}
			if spent+amount > cap {
				return violation.New("amount", "tier_cap_exceeded", "%s (tier %s) has a yearly care cap of %s and already %s committed in %s: %s left, but this expense is %s.", customer.GetString("name"), tier.Tier, org.Money(cap, cur), org.Money(spent, cur), day[:4], org.Money(max(cap-spent, 0), cur), org.Money(amount, cur))
			}
		}
	}

	var flags []string
	escalate := false
	planCommitted := int64(plan.GetInt("committed"))
	if planCommitted+amount > approvedBudget {
		switch s.PlanOnExceed {
		case "warn":
			flags = append(flags, "plan_over_budget")
		case "escalate":
			flags = append(flags, "plan_over_budget", "budget_escalated")
			escalate = true
		default:
			return violation.New("amount", "plan_budget_exceeded", "Plan %q has %s left of its approved budget of %s (%s committed); this expense is %s. Lower the amount or raise the plan's budget (it needs approval again).", title, org.Money(max(approvedBudget-planCommitted, 0), cur), org.Money(approvedBudget, cur), org.Money(planCommitted, cur), org.Money(amount, cur))
		}
	}
	budgets, err := budget.Matching(app, budget.Of(x))
	if err != nil {
		return err
	}
	for _, b := range budgets {
		limit, committed := int64(b.GetInt("amount")), int64(b.GetInt("committed"))
		after := committed + amount
		if after > limit {
			switch b.GetString("on_exceed") {
			case "warn":
				flags = append(flags, "budget_warn")
			case "escalate":
				flags = append(flags, "budget_escalated")
				escalate = true
			default:
				return violation.New("amount", "budget_exceeded", "Budget %q (%s to %s) has %s left of %s; this expense is %s. Lower the amount or ask finance to raise the budget.", b.GetString("name"), b.GetString("period_start"), b.GetString("period_end"), org.Money(max(limit-committed, 0), cur), org.Money(limit, cur), org.Money(amount, cur))
			}
		} else if after*100 >= limit*int64(warnPercent(b)) {
			flags = append(flags, "budget_warn")
		}
	}

	dup, err := countExpenses(app, x, dbx.HashExp{"rep": x.GetString("rep"), "incurred_on": day,
		"customer": customer.Id, "category": x.GetString("category"), "amount": amount})
	if err != nil {
		return err
	}
	if dup > 0 {
		flags = append(flags, "possible_duplicate")
	}
	visited, err := visitedOn(app, s, customer.Id, day)
	if err != nil {
		return err
	}
	if !visited {
		flags = append(flags, "no_visit_same_day")
	}
	if offsite, err := offsiteOn(app, s, customer.Id, day); err != nil {
		return err
	} else if offsite {
		flags = append(flags, offsiteFlag)
	}
	if age > s.LateSubmissionDays { // org_settings.late_submission_days
		flags = append(flags, "late_submission")
	}
	slices.Sort(flags)
	flags = slices.Compact(flags)
	if flags == nil {
		flags = []string{}
	}

	x.Set(submittedKey, &submitted{plan: plan, budgets: budgets})
	x.Set("flags", flags)
	x.Set("finance_review", escalate)
	x.Set("submitted_at", types.NowDateTime())
	if s.AutoApproveUnder > 0 && amount <= s.AutoApproveUnder && len(flags) == 0 {
		x.Set("status", "approved")
		x.Set("approved_at", types.NowDateTime())
		x.Set("approver", "")
		x.Set("approval_level", 0)
		x.Set(autoKey, true)
		return nil
	}
	return routeSubmit(app, x, x.GetString("rep"))
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
	err = app.DB().Select("COUNT(*)").From("visits").
		Where(dbx.HashExp{"customer": customerId, "status": "done"}).
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
