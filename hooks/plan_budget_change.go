package hooks

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/org"
	"rapport/internal/violation"
)

// changeAfterDraft answers an update of a submitted, approved, rejected or
// closed plan's content (changed, planContent): only its owner may change
// the budget of an approved plan, which sends the change for approval while
// the approved budget stays in force; anything else is locked.
func changeAfterDraft(app core.App, p *core.Record, changed []string, isOwner bool) error {
	old := p.Original()
	from, to := old.GetString("status"), p.GetString("status")
	others := slices.DeleteFunc(slices.Clone(changed), func(f string) bool { return f == "budget" })
	if from == "approved" && len(others) == 0 && (to == from || to == "submitted") && isOwner {
		if err := belowCommitted(app, p, old.GetInt("budget"), "Ask for at least that."); err != nil {
			return err
		}
		p.Set("status", "submitted")
		return routeSubmit(app, p, p.GetString("owner"))
	}
	field := changed[0]
	if len(others) > 0 {
		field = others[0]
	}
	hint := ""
	if from == "approved" {
		hint = " Only the budget of an approved plan can change (it then needs approval again)."
	}
	return violation.New(field, "locked", "Plan %q is %s, so its %s can no longer be changed.%s", old.GetString("title"), from, field, hint)
}

// belowCommitted refuses to lower plan p's budget from `from` to below what
// its expenses already committed, as budget_below_committed does for
// budgets: asked by the owner, or granted by an approver after more was
// committed meanwhile. Raising an overspent plan's budget
// (plan_on_exceed = warn) stays possible.
func belowCommitted(app core.App, p *core.Record, from int, hint string) error {
	to, committed := p.GetInt("budget"), p.GetInt("committed")
	if to >= from || to >= committed {
		return nil
	}
	s, err := org.LoadSettings(app)
	if err != nil {
		return err
	}
	return violation.New("budget", "budget_below_committed", "Plan %q already has %s committed; its budget cannot go below that (%s asked). %s",
		p.Original().GetString("title"), org.Money(int64(committed), s.Currency), org.Money(int64(to), s.Currency), hint)
}
