package hooks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/actor"
	"rapport/internal/approval"
	"rapport/internal/catalog"
	"rapport/internal/violation"
)

// An approval decides a plan or an expense (catalog: the approvals' Via
// links): created by a person in the request's approval chain, it moves
// the request on in its own transaction. Routing to approvers is in
// approval_route.go.
func bindApprovals(app core.App) {
	bind(app.OnRecordCreateExecute("approvals"), StageRules, "rapport.approvals.decide", decide)
	// Decisions are history: nobody changes or removes one, server included.
	bind(app.OnRecordUpdate("approvals"), StageLocked, "rapport.approvals.locked", permanent)
	bind(app.OnRecordDelete("approvals"), StageLocked, "rapport.approvals.locked", permanent)
}

func permanent(e *core.RecordEvent) error {
	return violation.New("decision", "locked", "Approvals are permanent; record a new decision instead of changing this one.")
}

// target is what an approval decides on.
type target struct {
	record     *core.Record
	field      string // the approvals field naming it, "plan" or "expense"
	kind       string // for messages
	ownerField string
	amount     int64
}

// loadTarget loads the one record approval ap decides on: of the links
// approvals have (catalog: approvals' Seen.Via), exactly one is set.
func loadTarget(app core.App, ap *core.Record) (*target, error) {
	var set []catalog.Link
	for _, l := range catalog.Get("approvals").Seen.Via {
		if ap.GetString(l.Field) != "" {
			set = append(set, l)
		}
	}
	if len(set) != 1 {
		return nil, violation.New("expense", "validation_required", "An approval decides on exactly one plan or one expense: set either plan or expense.")
	}
	l := set[0]
	r, err := app.FindRecordById(l.Collection, ap.GetString(l.Field))
	if err != nil {
		return nil, router.NewNotFoundError("", nil)
	}
	t := &target{record: r, field: l.Field, kind: l.Field, ownerField: catalog.Get(l.Collection).Owner}
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
	d, err := checkDecision(e.App, ap)
	if err != nil {
		return err
	}
	level := max(d.record.GetInt("approval_level"), 1)
	ap.Set("approver", d.decider.Id)
	ap.Set("level", level)
	final := true
	switch ap.GetString("decision") {
	case "reject":
		d.reject()
	case "approve":
		if final, err = d.approve(e.App, ap, level); err != nil {
			return err
		}
	}
	ap.Set("final", final)
	// whoever decided keeps sight of the record and its approvals
	d.record.Set("deciders", append(slices.DeleteFunc(d.record.GetStringSlice("deciders"), func(id string) bool { return id == d.decider.Id }), d.decider.Id))
	if final {
		// the deciding approval's note, or none: a note of an earlier
		// round or level is not this decision's
		d.record.Set("decision_note", ap.GetString("note"))
	}
	if err := e.Next(); err != nil {
		return err
	}
	d.record.Set(decidedKey, true)
	causedBy(d.record, ap)
	return e.App.SaveNoValidate(d.record) // only status and server fields changed
}

// decision is an approval being applied: what it decides, by whom, along
// which chain, and the request's current approver.
type decision struct {
	*target
	decider, current *core.Record
	route            *approval.Route
}

// checkDecision refuses an approval its decider may not make: a record out
// of their sight (404), their own, one not waiting, or one waiting for
// someone they are not above.
func checkDecision(app core.App, ap *core.Record) (*decision, error) {
	t, err := loadTarget(app, ap)
	if err != nil {
		return nil, err
	}
	r := t.record
	owner := r.GetString(t.ownerField)
	decider, err := deciderOf(app, ap)
	if err != nil {
		return nil, err
	}
	route := approval.ForTeam(app, owner, chargedTo(r))
	if ok, err := canSee(app, decider, r, owner, route); err != nil {
		return nil, err
	} else if !ok {
		return nil, router.NewNotFoundError("", nil)
	}
	if decider.Id == owner {
		return nil, violation.Forbidden(t.field, "self_approval", "You cannot decide on your own %s; it goes to your approver.", t.kind)
	}
	if status := r.GetString("status"); status != "submitted" {
		return nil, violation.New("decision", "invalid_transition", "This %s is %s, not waiting for a decision.", t.kind, status)
	}
	current, _ := app.FindRecordById("users", r.GetString("approver"))
	if !route.MayDecide(decider, current) {
		who := "someone above them in the approval chain"
		if route.AtFinance(current) {
			who = "another finance user"
		}
		return nil, violation.Forbidden(t.field, "not_approver", "This %s is waiting for %s; only they or %s can decide.", t.kind, nameOf(current), who)
	}
	return &decision{target: t, decider: decider, current: current, route: route}, nil
}

// reject rejects the request; a rejected budget change leaves the plan
// approved as it was.
func (d *decision) reject() {
	r := d.record
	r.Set("status", "rejected")
	if d.field == "plan" && r.GetInt("approved_budget") > 0 {
		r.Set("status", "approved")
		r.Set("budget", r.GetInt("approved_budget"))
	}
	r.Set("approver", "")
}

// approve moves the request to the next level, or approves it when this
// decision is final.
func (d *decision) approve(app core.App, ap *core.Record, level int) (final bool, err error) {
	r := d.record
	if flags := r.GetStringSlice("flags"); d.field == "expense" && len(flags) > 0 && !ap.GetBool("acknowledge_flags") {
		return false, violation.New("acknowledge_flags", "confirmation_required",
			"This expense is flagged (%s). Review the flags, then approve again with acknowledge_flags set to true.", strings.Join(flags, ", "))
	}
	out, err := d.route.Approve(d.decider, d.current, d.amount, r.GetBool("finance_review"))
	if err != nil {
		return false, noApprover(err)
	}
	if !out.Final {
		r.Set("approver", out.Next)
		r.Set("approval_level", level+1)
		return false, nil
	}
	if d.field == "plan" {
		if err := belowCommitted(app, r, r.GetInt("approved_budget"), "Reject this budget change, or have the owner ask for at least that."); err != nil {
			return false, err
		}
	}
	r.Set("status", "approved")
	r.Set("approver", "")
	r.Set("approved_at", types.NowDateTime())
	if d.field == "plan" {
		r.Set("approved_budget", r.GetInt("budget"))
		r.Set("approved_by", d.decider.Id)
	}
	return true, nil
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

// deleteOnlyDrafts lets a plan or an expense (kind: its field on approvals)
// be deleted only while a draft without decisions; instead says what to do
// with one that is further along.
func deleteOnlyDrafts(kind, instead string) func(*core.RecordEvent) error {
	return func(e *core.RecordEvent) error {
		if status := e.Record.GetString("status"); status != "draft" {
			return violation.New("status", "locked", "This %s is %s; only draft %ss can be deleted.%s", kind, status, kind, instead)
		}
		if err := noDecisions(e.App, kind, e.Record.Id); err != nil {
			return err
		}
		return e.Next()
	}
}

// noDecisions refuses to delete a plan or expense that has approvals: its
// decision history stays.
func noDecisions(app core.App, field, id string) error {
	var n int
	if err := app.DB().Select("COUNT(*)").From("approvals").Where(dbx.HashExp{field: id}).Row(&n); err != nil {
		return err
	}
	if n > 0 {
		return violation.New("status", "locked", "This %s has %d approval decision(s) on record and cannot be deleted.", field, n)
	}
	return nil
}
