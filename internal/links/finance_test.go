package links_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/flow"
	"rapport/internal/notify"
)

// TestFinanceDigests: a request waiting for "any finance user" is in the
// digest of every active finance user, not only of the one named as its
// approver; either may decide by link, the first decision wins and the
// other's link is void.
func TestFinanceDigests(t *testing.T) {
	e := setup(t)
	app := e.o.App
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	gus := core.NewRecord(users)
	gus.Load(map[string]any{"name": "gus", "role": "finance", "active": true, "team": e.o.Teams["hq"].Id})
	gus.SetEmail("gus@example.com")
	gus.SetPassword("password123")
	if err := flow.Save(app, nil, gus); err != nil {
		t.Fatal(err)
	}
	e.o.Budget(t, "rep", "escalate", 100, map[string]any{"rep": e.o.Users["rita"].Id})
	_, x := e.submitted(t, 150)
	if _, err := flow.Create(app, e.o.Users["mia"], "approvals", map[string]any{"expense": x.Id, "decision": "approve", "acknowledge_flags": true}); err != nil {
		t.Fatal(err)
	}
	x = e.o.Reload(t, x)
	if x.GetString("approver") != e.o.Users["fay"].Id {
		t.Fatalf("the escalated expense waits for %s, want fay (finance)", x.GetString("approver"))
	}

	if n, err := notify.Digest(app, time.Now()); err != nil || n != 2 {
		t.Fatalf("digests sent: %d, %v; want fay's and gus's", n, err)
	}
	links := map[string]string{}
	for range 2 {
		m := e.inbox.Next(t)
		found := linkPattern.FindAllString(m.Text, -1)
		if len(m.To) != 1 || len(found) != 2 {
			t.Fatalf("digest to %v with links %v", m.To, found)
		}
		links[m.To[0]] = found[0]
	}
	if status, body := post(t, links["gus@example.com"], url.Values{"acknowledge_flags": {"on"}}); status != 200 {
		t.Fatalf("gus approves by link: %d %s", status, body)
	}
	if got := e.o.Reload(t, x).GetString("status"); got != "approved" {
		t.Fatalf("after gus's approval the expense is %s", got)
	}
	if status, _ := post(t, links["fay@example.com"], url.Values{"acknowledge_flags": {"on"}}); status != http.StatusConflict {
		t.Errorf("fay's link after gus decided: %d, want 409", status)
	}
	if n := approvals(t, app, x.Id); n != 2 {
		t.Errorf("%d approvals, want mia's and gus's", n)
	}
}
