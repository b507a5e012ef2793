package hooks

import (
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/budget"
	"rapport/internal/org"
	"rapport/internal/violation"
)

// budgetShape are the fields that decide which expenses a budget covers.
var budgetShape = []string{"scope", "team", "rep", "category", "period", "period_start"}

// A budget covers the expenses of its scope (org, team, rep), category and
// period; its sums (committed, spent) are the server's, kept by the
// expense writes (expense_sums.go) and recomputed when what it covers
// changes.
func bindBudgets(app core.App) {
	bind(app.OnRecordCreateExecute("budgets"), StageRules, "rapport.budgets.rules", deriveBudget)
	bind(app.OnRecordUpdateExecute("budgets"), StageRules, "rapport.budgets.rules", deriveBudget)
	bind(app.OnRecordUpdate("teams"), StageSums, "rapport.teams.budgets", teamBudgets)
}

// deriveBudget checks a budget's shape, derives its period end, defaults
// and sums, and keeps a stop budget covering what is committed.
func deriveBudget(e *core.RecordEvent) error {
	b := e.Record
	end, err := budget.PeriodEnd(b.GetString("period"), b.GetString("period_start"))
	if err != nil {
		return violation.New("period_start", "invalid_period_start", "%s.", err.Error())
	}
	b.Set("period_end", end)
	switch scope := b.GetString("scope"); {
	case scope == "team" && b.GetString("team") == "":
		return violation.New("team", "validation_required", "A team budget needs a team.")
	case scope == "rep" && b.GetString("rep") == "":
		return violation.New("rep", "validation_required", "A rep budget needs a rep.")
	}
	setDefault(b, "on_exceed", "stop")
	if b.GetInt("warn_at_percent") == 0 {
		b.Set("warn_at_percent", 80)
	}
	old := b.Original()
	reshaped := b.IsNew() || len(changedFields(b, old, budgetShape)) > 0
	if reshaped {
		sums, err := budget.BudgetSums(e.App, b)
		if err != nil {
			return err
		}
		budget.Apply(b, sums)
	}
	stop := b.GetString("on_exceed") == "stop"
	if (stop && (reshaped || old.GetString("on_exceed") != "stop")) || (!b.IsNew() && b.GetInt("amount") != old.GetInt("amount")) {
		if err := coversCommitted(e.App, b); err != nil {
			return err
		}
	}
	return e.Next()
}

// teamBudgets: moving a team moves its expenses in or out of the team
// budgets above.
func teamBudgets(e *core.RecordEvent) error {
	before := e.Record.Original().Get("ancestors")
	if err := e.Next(); err != nil {
		return err
	}
	if sameValue(before, e.Record.Get("ancestors")) {
		return nil
	}
	budgets, err := e.App.FindAllRecords("budgets", dbx.HashExp{"scope": "team"})
	if err != nil {
		return err
	}
	for _, b := range budgets {
		if err := recomputeBudget(e.App, b, e.Record); err != nil {
			return err
		}
	}
	return nil
}

// coversCommitted refuses a budget whose amount is below what is already
// committed in what it covers. It runs when the amount changes (any
// budget: the spec's rule), and for a stop budget on every other change
// that can make it so — creating it, its shape (budgetShape: what it
// covers), turning a warn or escalate budget stop — so that a stop budget
// is never overspent by editing it. A warn or escalate budget may be
// created or reshaped over its amount: that is what it warns about. Sums
// moved by expenses and team moves are the submit checks' business.
func coversCommitted(app core.App, b *core.Record) error {
	amount, committed := int64(b.GetInt("amount")), int64(b.GetInt("committed"))
	if amount >= committed {
		return nil
	}
	s, err := org.LoadSettings(app)
	if err != nil {
		return err
	}
	old := b.Original()
	switch {
	case b.IsNew():
		return violation.New("amount", "budget_below_committed", "Budget %q would cover %s already committed, more than its amount %s; give it an amount of at least that.", b.GetString("name"), org.Money(committed, s.Currency), org.Money(amount, s.Currency))
	case amount != int64(old.GetInt("amount")):
		return violation.New("amount", "budget_below_committed", "Budget %q already has %s committed; its amount cannot go below that (you asked for %s).", old.GetString("name"), org.Money(committed, s.Currency), org.Money(amount, s.Currency))
	default:
		changed := changedFields(b, old, append(slices.Clone(budgetShape), "on_exceed"))
		return violation.New("amount", "budget_below_committed", "Budget %q would cover %s already committed after this change (%s), more than its amount %s; raise the amount with the change.", old.GetString("name"), org.Money(committed, s.Currency), strings.Join(changed, ", "), org.Money(amount, s.Currency))
	}
}

// recomputeBudget stores b's sums, from its expenses, when they changed
// because of a write of cause. Only server fields change, so field
// validation is skipped.
func recomputeBudget(app core.App, b, cause *core.Record) error {
	sums, err := budget.BudgetSums(app, b)
	if err != nil || !budget.Apply(b, sums) {
		return err
	}
	causedBy(b, cause)
	return app.SaveNoValidate(b)
}
