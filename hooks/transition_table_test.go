package hooks_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/testkit"
)

// TestStatusTransitionTable sends every (from, to, role) PATCH of status
// over REST, for expenses and plans, and checks each against the state
// machines of the spec: the moves listed are allowed to the roles listed,
// every other one is 400 invalid_transition and changes nothing (and does
// not tell the owner that only the owner may make it). Decisions
// (approved, rejected) are only made by creating approvals, so no PATCH
// reaches them.
func TestStatusTransitionTable(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	// rita owns the records; mia is her manager and first approver, dana
	// the director above; fay finance; ada admin.
	roles := []string{"rita", "mia", "dana", "fay", "ada", "superuser"}
	owner := []string{"rita", "ada", "superuser"} // the owner, and those acting for them

	for _, m := range []struct {
		collection string
		statuses   []string
		allowed    map[[2]string][]string // {from, to}: who
		seed       func(status string) *core.Record
	}{
		{"expenses", []string{"draft", "submitted", "approved", "rejected", "paid"},
			map[[2]string][]string{
				{"draft", "submitted"}: owner, // submit
				{"submitted", "draft"}: owner, // withdraw
				{"rejected", "draft"}:  owner, // reopen
				{"approved", "paid"}:   {"fay", "superuser"},
			},
			func(status string) *core.Record {
				return mkExpense(t, o, mkPlan(t, o, "rita", "approved", 1000), 100, map[string]any{"status": status})
			}},
		{"plans", []string{"draft", "submitted", "approved", "rejected", "closed"},
			map[[2]string][]string{
				{"draft", "submitted"}: owner,
				{"rejected", "draft"}:  owner,
				{"approved", "closed"}: append(slices.Clone(owner), "mia", "dana"), // and the managers of its team
			},
			func(status string) *core.Record { return mkPlan(t, o, "rita", status, 1000) }},
	} {
		for _, from := range m.statuses {
			for _, to := range m.statuses {
				if from == to {
					continue
				}
				for _, as := range roles {
					r := m.seed(from)
					res := c.Do(as, "PATCH", fmt.Sprintf("/api/collections/%s/records/%s", m.collection, r.Id), map[string]any{"status": to})
					pair := fmt.Sprintf("%s %s→%s by %s", m.collection, from, to, as)
					after := reload(t, app, m.collection, r.Id).GetString("status")
					if slices.Contains(m.allowed[[2]string{from, to}], as) {
						if res.Status != 200 || after != to {
							t.Errorf("%s: %d %q, status now %s; want it allowed", pair, res.Status, res.Code("status"), after)
						}
						continue
					}
					if res.Status != 400 || res.Code("status") != "invalid_transition" || after != from {
						t.Errorf("%s: %d %q, status now %s; want 400 invalid_transition", pair, res.Status, res.Code("status"), after)
					}
					// the refusal's hint must not send the owner to themself
					if msg := string(res.Body); as == "rita" && (strings.Contains(msg, "only the expense's rep") || strings.Contains(msg, "only the plan's owner")) {
						t.Errorf("%s: the owner is told %s", pair, msg)
					}
				}
			}
		}
	}
}
