package notify_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/dbx"

	"rapport/internal/testkit"
)

// TestHandoverNotice: when rita is deactivated, mia, who takes over her
// customer, its open plan and its scheduled visit, is told in her
// language what is now hers.
func TestHandoverNotice(t *testing.T) {
	app, o, _ := setup(t)
	testkit.MustCreate(t, app, nil, "plans", map[string]any{"customer": o.Customers["rita"].Id, "title": "Care",
		"period_start": testkit.Day(-10), "period_end": testkit.Day(10), "budget": testkit.Yuan(100), "status": "approved"})
	testkit.MustCreate(t, app, nil, "visits", map[string]any{"customer": o.Customers["rita"].Id, "due_date": testkit.Day(3)})
	rita := o.Reload(t, o.Users["rita"])
	rita.Set("active", false)
	if err := testkit.Save(app, o.Users["ada"], rita); err != nil {
		t.Fatal(err)
	}
	notes, err := app.FindAllRecords("notifications", dbx.HashExp{"user": o.Users["mia"].Id, "kind": "handover"})
	if err != nil || len(notes) != 1 {
		t.Fatalf("mia's hand-over notices: %v %v", notes, err)
	}
	if body := notes[0].GetString("body"); !strings.Contains(body, "rita 的账号已停用") || !strings.Contains(body, "客户 1 个、进行中的计划 1 个、待进行的拜访 1 个") {
		t.Errorf("the notice (zh-CN): %s", body)
	}
	if n, _ := app.CountRecords("notifications", dbx.HashExp{"kind": "handover"}); n != 1 {
		t.Errorf("%d hand-over notices, want mia's one", n)
	}
}
