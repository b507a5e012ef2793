package sync_test

import (
	"context"
	"testing"
	"time"

	"rapport/internal/sync"
	"rapport/internal/testkit"
)

// TestApproverOutsideTheTeamTree: rita's approver is set through her
// users.manager to eve, who manages another branch of the tree and so sees
// nothing of rita's team. The expense routed to eve must still reach her:
// in her pull, and as a poke on her device.
func TestApproverOutsideTheTeamTree(t *testing.T) {
	e := newEnv(t)
	rita := e.o.Reload(t, e.o.Users["rita"])
	rita.Set("manager", e.o.Users["eve"].Id)
	if err := testkit.Save(e.app, nil, rita); err != nil {
		t.Fatal(err)
	}
	plan := testkit.MustCreate(t, e.app, nil, "plans", map[string]any{"customer": e.o.Customers["rita"].Id, "title": "Care",
		"methods": []string{"visit"}, "period_start": testkit.Day(-30), "period_end": testkit.Day(30), "budget": testkit.Yuan(1000), "status": "approved"})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	eve := e.client("eve", "evephone001")
	if err := eve.Sync(ctx); err != nil {
		t.Fatalf("eve's first sync: %v", err)
	}
	pokes := make(chan string, 16)
	go func() { _ = eve.Listen(ctx, func(cursor string) { pokes <- cursor }) }()
	select {
	case <-pokes: // connected
	case <-ctx.Done():
		t.Fatal("eve's device never connected for pokes")
	}
	for quiet := false; !quiet; { // let earlier pokes go by
		select {
		case <-pokes:
		case <-time.After(3 * sync.PokeDelay):
			quiet = true
		}
	}

	device := e.client("rita", "ritaphone01")
	x := device.Create("expenses", map[string]any{"plan": plan.Id, "category": "meal", "amount": testkit.Yuan(100),
		"incurred_on": testkit.Day(0), "status": "submitted"})
	if err := device.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := device.Store()["expenses"][x]; got == nil || got["approver"] != e.o.Users["eve"].Id {
		t.Fatalf("rita's expense after the push: %v; want it waiting for eve", got)
	}

	select {
	case cursor := <-pokes:
		if cursor == "" {
			t.Fatal("eve's poke carries no cursor")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("eve, the expense's approver, was not poked")
	}
	if err := eve.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	if got := eve.Store()["expenses"][x]; got == nil || got["status"] != "submitted" {
		t.Fatalf("eve's store after the pull holds %v, want rita's submitted expense", got)
	}
	e.converged("eve", eve)
}
