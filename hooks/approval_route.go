package hooks

import (
	"database/sql"
	"errors"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/approval"
	"rapport/internal/catalog"
	"rapport/internal/violation"
)

// Custom-data keys (never persisted) that tell the state machines why a
// server write happens.
const (
	// decidedKey marks a plan or expense saved by an approval decision:
	// the only way into `approved` and `rejected`.
	decidedKey = "@rapport.decided"
	// autoKey marks an expense approved at submit (auto_approve_under),
	// and the approval record written for it.
	autoKey = "@rapport.auto"
)

func marked(r *core.Record, key string) bool { return r.GetRaw(key) != nil }

// followOwnersChain sends r, a plan waiting for a decision that changes
// hands (a team move, a reassigned customer, a leaver), to the first
// approver of its new owner's chain. Other records keep their approver: a
// pending expense stays with the chain of the team it is charged to.
func followOwnersChain(app core.App, r *core.Record, owner string) error {
	if r.Collection().Name != "plans" || r.GetString("status") != "submitted" {
		return nil
	}
	return routeSubmit(app, r, owner)
}

// routeSubmit sends r (a plan or expense of owner) to the first approver
// of the team it is charged to.
func routeSubmit(app core.App, r *core.Record, owner string) error {
	first, err := approval.First(app, owner, chargedTo(r))
	if err != nil {
		return noApprover(err)
	}
	r.Set("approver", first)
	r.Set("approval_level", 1)
	return nil
}

// chargedTo is the team whose chain decides request r: an expense's
// charged team (it stays where it was submitted, chargedTeam), or for a
// plan, which follows its owner, "" (the owner's own chain).
func chargedTo(r *core.Record) string {
	if r.Collection().Name == "expenses" {
		return r.GetString("team")
	}
	return ""
}

// rerouteStranded sends every pending request (catalog Approvable: plans
// and expenses, climbing the chain of their owner's charged team,
// approval.ForTeam) whose approver may
// no longer decide it back to the first approver of its requester's current
// chain. An approver stands while they are active and either in that chain
// or a finance user (the finance level). Chains change with the org chart:
// a team's manager or parent, a user's manager, team, role or active flag;
// without this, someone who lost the team would keep its queue — seeing
// the requests and deciding them. A request at the finance level stays with
// finance; any other starts again at level 1, as when its requester moves.
// Org-chart edits are rare admin actions, so this simply checks every
// pending request, each requester's chain once.
func rerouteStranded(app core.App, cause *core.Record) error {
	routes := map[string]*approval.Route{}
	approvers := map[string]*core.Record{}
	for _, p := range catalog.All {
		if !p.Approvable {
			continue
		}
		records, err := app.FindAllRecords(p.Name,
			dbx.HashExp{"status": "submitted"}, dbx.Not(dbx.HashExp{"approver": ""}))
		if err != nil {
			return err
		}
		for _, r := range records {
			owner, id, team := r.GetString(p.Owner), r.GetString("approver"), chargedTo(r)
			route, ok := routes[owner+"/"+team]
			if !ok {
				route = approval.ForTeam(app, owner, team)
				routes[owner+"/"+team] = route
			}
			current, ok := approvers[id]
			if !ok {
				if current, err = app.FindRecordById("users", id); err != nil && !errors.Is(err, sql.ErrNoRows) {
					return err
				}
				approvers[id] = current
			}
			if route.Stands(current) {
				continue
			}
			var next string
			if current != nil && current.GetString("role") == "finance" {
				next, err = route.Finance() // the finance level stays with finance
			} else {
				next, err = approval.First(app, owner, team)
				r.Set("approval_level", 1)
			}
			if errors.Is(err, approval.ErrNoFinance) {
				return violation.New("approver", "no_approver",
					"This change would leave the pending %s %s with nobody to approve it: nobody is above its requester in the approval chain and there is no other active finance user. Set a manager or keep a finance user active first.",
					strings.TrimSuffix(p.Name, "s"), r.Id)
			} else if err != nil {
				return err
			}
			r.Set("approver", next)
			causedBy(r, cause)
			if err := app.Save(r); err != nil {
				return err
			}
		}
	}
	return nil
}

func noApprover(err error) error {
	if errors.Is(err, approval.ErrNoFinance) {
		return violation.New("status", "no_approver", "Nobody can approve this: your approval chain is empty and there is no active finance user. Ask an administrator to set your manager.")
	}
	return err
}
