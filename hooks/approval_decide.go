package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/actor"
	"rapport/internal/approval"
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

// pendingCollections are the requests that wait for an approver, with the
// field naming whose chain they climb (that of the team they are charged
// to: approval.ForTeam).
var pendingCollections = []struct{ collection, ownerField string }{
	{"plans", "owner"}, {"expenses", "rep"},
}

// rerouteStranded sends every pending plan and expense whose approver may
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
	for _, p := range pendingCollections {
		records, err := app.FindAllRecords(p.collection,
			dbx.HashExp{"status": "submitted"}, dbx.Not(dbx.HashExp{"approver": ""}))
		if err != nil {
			return err
		}
		for _, r := range records {
			owner, id, team := r.GetString(p.ownerField), r.GetString("approver"), chargedTo(r)
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
					strings.TrimSuffix(p.collection, "s"), r.Id)
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

func bindApprovals(app core.App) {
	app.OnRecordCreateExecute("approvals").BindFunc(decide)

	// Decisions are history: nobody changes or removes one, server included.
	locked := func(e *core.RecordEvent) error {
		return violation.New("decision", "locked", "Approvals are permanent; record a new decision instead of changing this one.")
	}
	app.OnRecordUpdate("approvals").BindFunc(locked)
	app.OnRecordDelete("approvals").BindFunc(locked)
}

// target is what an approval decides on.
type target struct {
	record     *core.Record
	field      string // "plan" or "expense"
	kind       string // for messages
	ownerField string
	amount     int64
}

func loadTarget(app core.App, ap *core.Record) (*target, error) {
	planId, expenseId := ap.GetString("plan"), ap.GetString("expense")
	if (planId == "") == (expenseId == "") {
		return nil, violation.New("expense", "validation_required", "An approval decides on exactly one plan or one expense: set either plan or expense.")
	}
	t := &target{field: "expense", kind: "expense", ownerField: "rep"}
	collection, id := "expenses", expenseId
	if planId != "" {
		t = &target{field: "plan", kind: "plan", ownerField: "owner"}
		collection, id = "plans", planId
	}
	r, err := app.FindRecordById(collection, id)
	if err != nil {
		return nil, router.NewNotFoundError("", nil)
	}
	t.record = r
	if t.field == "plan" {
		t.amount = int64(r.GetInt("budget"))
	} else {
		t.amount = int64(r.GetInt("amount"))
	}
	return t, nil
}

// decide applies a new approval to its plan or expense: it checks that the
// caller may decide, fills the server fields (approver, level, final) and
// moves the plan or expense on, all in the approval's transaction.
func decide(e *core.RecordEvent) error {
	ap := e.Record
	if marked(ap, autoKey) || (actor.Client(ap) == nil && ap.GetString("approver") == "") {
		// The auto approval, or history imported by the server (seeding):
		// recorded as given, without moving the plan or expense.
		if marked(ap, autoKey) {
			ap.Set("level", 0)
		}
		ap.Set("final", true)
		return e.Next()
	}
	t, err := loadTarget(e.App, ap)
	if err != nil {
		return err
	}
	r := t.record
	owner := r.GetString(t.ownerField)

	decider, err := deciderOf(e.App, ap)
	if err != nil {
		return err
	}
	route := approval.ForTeam(e.App, owner, chargedTo(r))
	if ok, err := canSee(e.App, decider, r, owner, route); err != nil {
		return err
	} else if !ok {
		return router.NewNotFoundError("", nil)
	}
	if decider.Id == owner {
		return violation.Forbidden(t.field, "self_approval", "You cannot decide on your own %s; it goes to your approver.", t.kind)
	}
	if status := r.GetString("status"); status != "submitted" {
		return violation.New("decision", "invalid_transition", "This %s is %s, not waiting for a decision.", t.kind, status)
	}
	current, _ := e.App.FindRecordById("users", r.GetString("approver"))
	if !route.MayDecide(decider, current) {
		who := "someone above them in the approval chain"
		if route.AtFinance(current) {
			who = "another finance user"
		}
		return violation.Forbidden(t.field, "not_approver", "This %s is waiting for %s; only they or %s can decide.", t.kind, nameOf(current), who)
	}

	level := max(r.GetInt("approval_level"), 1)
	ap.Set("approver", decider.Id)
	ap.Set("level", level)
	now := types.NowDateTime()
	final := true
	switch ap.GetString("decision") {
	case "reject":
		r.Set("status", "rejected")
		if t.field == "plan" && r.GetInt("approved_budget") > 0 {
			// A rejected budget change leaves the plan approved as it was.
			r.Set("status", "approved")
			r.Set("budget", r.GetInt("approved_budget"))
		}
		r.Set("approver", "")
	case "approve":
		if flags := r.GetStringSlice("flags"); t.field == "expense" && len(flags) > 0 && !ap.GetBool("acknowledge_flags") {
			return violation.New("acknowledge_flags", "confirmation_required",
				"This expense is flagged (%s). Review the flags, then approve again with acknowledge_flags set to true.", strings.Join(flags, ", "))
		}
		out, err := route.Approve(decider, current, t.amount, r.GetBool("finance_review"))
		if err != nil {
			return noApprover(err)
		}
		final = out.Final
		if !final {
			r.Set("approver", out.Next)
			r.Set("approval_level", level+1)
			break
		}
		if t.field == "plan" {
			if err := belowCommitted(e.App, r, r.GetInt("approved_budget"), "Reject this budget change, or have the owner ask for at least that."); err != nil {
				return err
			}
		}
		r.Set("status", "approved")
		r.Set("approver", "")
		r.Set("approved_at", now)
		if t.field == "plan" {
			r.Set("approved_budget", r.GetInt("budget"))
			r.Set("approved_by", decider.Id)
		}
	}
	ap.Set("final", final)
	// whoever decided keeps sight of the record and its approvals
	r.Set("deciders", append(slices.DeleteFunc(r.GetStringSlice("deciders"), func(id string) bool { return id == decider.Id }), decider.Id))
	if final {
		// the deciding approval's note, or none: a note of an earlier
		// round or level is not this decision's
		r.Set("decision_note", ap.GetString("note"))
	}
	if err := e.Next(); err != nil {
		return err
	}
	r.Set(decidedKey, true)
	causedBy(r, ap)
	return e.App.SaveNoValidate(r) // only status and server fields changed
}

// deciderOf is the user deciding: the caller, or for a server-written
// approval the approver it names.
func deciderOf(app core.App, ap *core.Record) (*core.Record, error) {
	a := actor.Client(ap)
	id := a.UserID()
	if a == nil {
		id = ap.GetString("approver")
	}
	if u, err := app.FindRecordById("users", id); err == nil {
		return u, nil
	}
	return nil, violation.Forbidden("approver", "not_approver", "Decisions are made by a person in the approval chain; sign in as that user to approve or reject.")
}

// canSee reports whether decider may see r at all (a record outside your
// scope is 404, not 403).
func canSee(app core.App, decider, r *core.Record, owner string, route *approval.Route) (bool, error) {
	switch {
	case decider.GetString("role") == "finance", decider.GetString("role") == "admin",
		decider.Id == owner, decider.Id == r.GetString("approver"), route.Index(decider.Id) >= 0:
		return true, nil
	}
	return viewsTeam(app, r.GetString("team"), decider.Id)
}

func nameOf(u *core.Record) string {
	if u == nil {
		return "finance"
	}
	if n := u.GetString("name"); n != "" {
		return n
	}
	return fmt.Sprintf("user %s", u.Id)
}
