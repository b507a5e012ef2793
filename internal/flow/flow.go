// Package flow moves plans and expenses through their state machines the
// way the people involved do it: the owner submits, approvers decide by
// creating approvals, finance pays. Seeds (the demo, tests) use it to reach
// any state through the real rules instead of writing states directly.
package flow

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/catalog"
)

// Save writes r as user as (nil: as the server, actor.Server). To update,
// pass a record fetched from the database: one that was just created keeps
// the blank original PocketBase gave it, and the server fields would look
// changed.
func Save(app core.App, as, r *core.Record) error {
	a := actor.Server
	if as != nil {
		a = actor.FromAuth(as)
	}
	actor.Bind(r, a)
	return app.Save(r)
}

// Create makes a record of collection as user as.
func Create(app core.App, as *core.Record, collection string, data map[string]any) (*core.Record, error) {
	c, err := app.FindCachedCollectionByNameOrId(collection)
	if err != nil {
		return nil, err
	}
	r := core.NewRecord(c)
	r.Load(data)
	if err := Save(app, as, r); err != nil {
		return nil, fmt.Errorf("create %s: %w", collection, err)
	}
	return r, nil
}

// Plan brings a plan from its current status to status: submitted,
// approved, rejected or closed.
func Plan(app core.App, plan *core.Record, status string) error {
	return drive(app, plan, status)
}

// Expense brings an expense from its current status to status: submitted,
// approved, rejected or paid.
func Expense(app core.App, expense *core.Record, status string) error {
	return drive(app, expense, status)
}

// drive takes one step at a time along draft → submitted → approved |
// rejected, approved → closed (plans) | paid (expenses).
func drive(app core.App, r *core.Record, status string) error {
	ownerField := catalog.Get(r.Collection().Name).Owner
	for range 5 {
		fresh, err := app.FindRecordById(r.Collection(), r.Id)
		if err != nil {
			return err
		}
		current := fresh.GetString("status")
		switch {
		case current == status:
			return nil
		case current == "draft":
			err = setStatus(app, ownerField, fresh, "submitted")
		case current == "submitted" && status == "rejected":
			err = Decide(app, fresh, "reject", "")
		case current == "submitted":
			err = Decide(app, fresh, "approve", "")
		case current == "approved" && status == "closed":
			err = setStatus(app, ownerField, fresh, "closed")
		case current == "approved" && status == "paid":
			err = setStatus(app, "", fresh, "paid")
		default:
			return fmt.Errorf("%s %s is %s: cannot bring it to %s", r.Collection().Name, r.Id, current, status)
		}
		if err != nil {
			return err
		}
	}
	return fmt.Errorf("%s %s: %s not reached", r.Collection().Name, r.Id, status)
}

// Decide records decision on a submitted plan or expense r as its current
// approver; approving goes on level after level until it is final.
func Decide(app core.App, r *core.Record, decision, note string) error {
	for range 10 {
		fresh, err := app.FindRecordById(r.Collection(), r.Id)
		if err != nil {
			return err
		}
		if fresh.GetString("status") != "submitted" {
			return nil
		}
		if err := DecideOnce(app, fresh, decision, note); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s %s: still submitted after 10 approvals", r.Collection().Name, r.Id)
}

// DecideOnce records one decision on r (freshly read) by its current
// approver, or by a finance user when the chain has run out.
func DecideOnce(app core.App, r *core.Record, decision, note string) error {
	field := catalog.DecisionField(r.Collection().Name)
	approver, err := app.FindRecordById("users", r.GetString("approver"))
	if err != nil {
		if approver, err = Finance(app); err != nil {
			return err
		}
	}
	_, err = Create(app, approver, "approvals", map[string]any{field: r.Id, "decision": decision, "note": note,
		"acknowledge_flags": len(r.GetStringSlice("flags")) > 0})
	if err != nil {
		return fmt.Errorf("%s decides %s %s: %w", approver.GetString("name"), field, r.Id, err)
	}
	return nil
}

// Finance is an active finance user.
func Finance(app core.App) (*core.Record, error) {
	u, err := app.FindFirstRecordByFilter("users", "role = 'finance' && active = true")
	if err != nil {
		return nil, fmt.Errorf("no active finance user: %w", err)
	}
	return u, nil
}

// setStatus moves r to status as its owner (ownerField), or as a finance
// user when ownerField is "".
func setStatus(app core.App, ownerField string, r *core.Record, status string) error {
	var as *core.Record
	var err error
	if ownerField == "" {
		as, err = Finance(app)
	} else {
		as, err = app.FindRecordById("users", r.GetString(ownerField))
	}
	if err != nil {
		return err
	}
	r.Set("status", status)
	if err := Save(app, as, r); err != nil {
		return fmt.Errorf("%s sets %s %s to %s: %w", as.GetString("name"), r.Collection().Name, r.Id, status, err)
	}
	return nil
}
