package hooks_test

import (
	"slices"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/cron"

	"rapport/hooks"
	"rapport/internal/testkit"
)

func TestCloseExpiredPlans(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	// plan_grace_days defaults to max_age_days (60)
	ended := mkPlan(t, o, "rita", "approved", 100, map[string]any{"period_start": testkit.Day(-100), "period_end": testkit.Day(-61)})
	inGrace := mkPlan(t, o, "rita", "approved", 100, map[string]any{"period_start": testkit.Day(-100), "period_end": testkit.Day(-60)})
	running := mkPlan(t, o, "rita", "approved", 100, map[string]any{"period_end": testkit.Day(0)})
	draft := mkPlan(t, o, "rita", "draft", 100, map[string]any{"period_start": testkit.Day(-40), "period_end": testkit.Day(-1)})
	scheduled := slices.ContainsFunc(app.Cron().Jobs(), func(j *cron.Job) bool { return j.Id() == "rapport_close_expired_plans" })
	if !scheduled {
		t.Fatal("closing expired plans is not scheduled")
	}
	n, err := hooks.CloseExpiredPlans(app, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("closed %d, %v", n, err)
	}
	for r, want := range map[*core.Record]string{ended: "closed", inGrace: "approved", running: "approved", draft: "draft"} {
		if got := reload(t, app, "plans", r.Id).GetString("status"); got != want {
			t.Errorf("plan ending %s: %s, want %s", r.GetString("period_end"), got, want)
		}
	}
}

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
