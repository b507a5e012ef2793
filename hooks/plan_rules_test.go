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
