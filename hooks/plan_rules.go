package hooks

import (
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/actor"
	"rapport/internal/org"
	"rapport/internal/violation"
)

// planContent is what only a draft plan may change (and, of an approved
// plan, the budget, which sends it back for approval).
var planContent = []string{"customer", "title", "methods", "measures", "period_start", "period_end", "planned_visits", "budget"}

// A plan is its owner's (the owner of its customer), a draft until
// submitted, then approved (or rejected) by approvals, and closed once its
// period and grace are over.
func bindPlans(app core.App) {
	// Hourly, because "after period_end" is a day in the org time zone,
	// whose midnight can fall at any UTC hour. Closing is idempotent.
	app.Cron().MustAdd("rapport_close_expired_plans", "15 * * * *", func() {
		if n, err := CloseExpiredPlans(app, time.Now()); err != nil {
			app.Logger().Error("closing expired plans", "closed", n, "error", err)
		}
	})
	bind(app.OnRecordCreateExecute("plans"), StageOwner, "rapport.plans.owner", derivePlanOwner)
	bind(app.OnRecordUpdateExecute("plans"), StageOwner, "rapport.plans.owner", derivePlanOwner)
	bind(app.OnRecordCreateExecute("plans"), StageRules, "rapport.plans.rules", createPlan)
	bind(app.OnRecordUpdateExecute("plans"), StageRules, "rapport.plans.rules", updatePlan)
	bind(app.OnRecordDeleteExecute("plans"), StageRules, "rapport.plans.rules", deleteOnlyDrafts("plan", " Close it instead."))
}

// derivePlanOwner gives a plan its customer's owner and the owner's team;
// others than the owner change its status only.
func derivePlanOwner(e *core.RecordEvent) error {
	p := e.Record
	if !p.IsNew() {
		if err := onlyOwnerEdits(p, "owner", "status"); err != nil {
			return err
		}
	}
	if err := ownerFromCustomer(e.App, p); err != nil {
		return err
	}
	if p.IsNew() {
		setDefault(p, "status", "draft")
	}
	return deriveTeam(e, "owner")
}

// createPlan accepts a draft or a plan created submitted (routed to its
// first approver); server imports (seeding, migrations) may write history
// as is.
func createPlan(e *core.RecordEvent) error {
	p := e.Record
	if err := checkPeriod(p); err != nil {
		return err
	}
	switch status := p.GetString("status"); status {
	case "draft":
	case "submitted":
		if err := routeSubmit(e.App, p, p.GetString("owner")); err != nil {
			return err
		}
	default:
		if actor.Client(p) != nil {
			return invalidTransition("plan", "new", status, "create it as draft, then submit it")
		}
		if status == "approved" && p.GetInt("approved_budget") == 0 {
			p.Set("approved_budget", p.GetInt("budget"))
			p.Set("approved_at", types.NowDateTime())
		}
	}
	return e.Next()
}

func updatePlan(e *core.RecordEvent) error {
	if err := checkPeriod(e.Record); err != nil {
		return err
	}
	if err := planTransition(e.App, e.Record); err != nil {
		return err
	}
	return e.Next()
}

func checkPeriod(p *core.Record) error {
	if start, end := p.GetString("period_start"), p.GetString("period_end"); end < start {
		return violation.New("period_end", "invalid_period", "The plan ends (%s) before it starts (%s); the end must be on or after the start.", end, start)
	}
	return nil
}

// planTransition enforces the plan state machine on an update.
func planTransition(app core.App, p *core.Record) error {
	if marked(p, decidedKey) {
		return nil // an approval decided it
	}
	old := p.Original()
	from, to := old.GetString("status"), p.GetString("status")
	a := actor.Of(p)
	isOwner := a.Privileged() || a.UserID() == p.GetString("owner")
	if changed := changedFields(p, old, planContent); len(changed) > 0 && from != "draft" {
		return changeAfterDraft(app, p, changed, isOwner)
	}
	switch {
	case from == to:
		return nil
	case from == "draft" && to == "submitted" && isOwner:
		return routeSubmit(app, p, p.GetString("owner"))
	case from == "rejected" && to == "draft" && isOwner:
		p.Set("approver", "")
		p.Set("approval_level", 0)
		return nil
	case from == "approved" && to == "closed":
		if isOwner {
			return nil
		}
		if manages, err := managesTeam(app, a, p.GetString("team")); err != nil || manages {
			return err
		}
	}
	return invalidTransition("plan", from, to, planHint(from, to))
}

func planHint(from, to string) string {
	switch {
	case to == "approved" || to == "rejected":
		return "approvers decide by creating an approval"
	case to == "closed" && from == "approved":
		return "only the plan's owner or their manager can close it"
	case from == "draft" && to == "submitted", from == "rejected" && to == "draft":
		return "only the plan's owner can do that"
	}
	return "allowed: draft→submitted, rejected→draft (reopen), approved→closed"
}

// managesTeam reports whether a manages team (is among its viewers).
func managesTeam(app core.App, a *actor.Actor, teamId string) (bool, error) {
	if !isManagerRole(a.Role()) {
		return false, nil
	}
	return viewsTeam(app, teamId, a.UserID())
}

// CloseExpiredPlans closes every approved plan whose grace ended: more than
// org_settings.plan_grace_days days after its period_end (org time zone).
// Until then its expenses dated inside the period can still be submitted:
// a rep who spent on the last day, or was offline, is not refused
// plan_not_approved the next morning. It returns how many plans it closed;
// each plan closes in its own transaction.
func CloseExpiredPlans(app core.App, now time.Time) (int, error) {
	s, err := org.LoadSettings(app)
	if err != nil {
		return 0, err
	}
	lastOpen := now.In(s.Location).AddDate(0, 0, -s.PlanGraceDays).Format(org.DayLayout)
	plans, err := app.FindAllRecords("plans", dbx.HashExp{"status": "approved"},
		dbx.NewExp("period_end < {:lastOpen}", dbx.Params{"lastOpen": lastOpen}))
	if err != nil {
		return 0, err
	}
	closed := 0
	for _, listed := range plans {
		err := app.RunInTransaction(func(tx core.App) error {
			// read again in the write's transaction: an expense decided
			// since the list was read moved the plan's sums, and a save of
			// the listed copy would write its old sums back
			p, err := tx.FindRecordById("plans", listed.Id)
			if err != nil || p.GetString("status") != "approved" {
				return nil // gone, or closed or changed meanwhile
			}
			p.Set("status", "closed")
			actor.AsServer(p)
			if err := tx.Save(p); err != nil {
				return err
			}
			closed++
			return nil
		})
		if err != nil {
			return closed, err
		}
	}
	return closed, nil
}
