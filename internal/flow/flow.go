// Package flow moves plans and expenses through their state machines the
// way the people involved do it: the owner submits, approvers decide by
// creating approvals, finance pays. Seeds (the demo, tests) use it to reach
// any state through the real rules instead of writing states directly.
package flow

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
)

// Save writes r as user as (nil: as the server).
func Save(app core.App, as, r *core.Record) error {
	if as != nil {
		actor.Bind(r, actor.FromAuth(as))
	}
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

// Plan brings a draft plan to status: draft, submitted, approved,
// rejected or closed.
func Plan(app core.App, plan *core.Record, status string) error {
	return drive(app, plan, "owner", status)
}

// Expense brings a draft expense to status: draft, submitted, approved,
// rejected or paid.
func Expense(app core.App, expense *core.Record, status string) error {
	return drive(app, expense, "rep", status)
}

func drive(app core.App, r *core.Record, ownerField, status string) error {
	if status == "draft" {
		return nil
	}
	owner, err := app.FindRecordById("users", r.GetString(ownerField))
	if err != nil {
		return err
	}
	if err := setStatus(app, owner, r, "submitted"); err != nil {
		return err
	}
	if status == "submitted" {
		return nil
	}
	decision := "approve"
	if status == "rejected" {
		decision = "reject"
	}
	if err := Decide(app, r, decision, ""); err != nil {
		return err
	}
	switch status {
	case "closed":
		return setStatus(app, owner, r, "closed")
	case "paid":
		finance, err := Finance(app)
		if err != nil {
			return err
		}
		return setStatus(app, finance, r, "paid")
	}
	return nil
}

// Decide records decision on a submitted plan or expense r as its current
// approver; approving goes on level after level until it is final.
func Decide(app core.App, r *core.Record, decision, note string) error {
	field := "plan"
	if r.Collection().Name == "expenses" {
		field = "expense"
	}
	for range 10 {
		fresh, err := app.FindRecordById(r.Collection(), r.Id)
		if err != nil {
			return err
		}
		if fresh.GetString("status") != "submitted" {
			return nil
		}
		approver, err := app.FindRecordById("users", fresh.GetString("approver"))
		if err != nil {
			// the chain ran out: any finance user decides
			if approver, err = Finance(app); err != nil {
				return err
			}
		}
		_, err = Create(app, approver, "approvals", map[string]any{field: r.Id, "decision": decision, "note": note,
			"acknowledge_flags": len(fresh.GetStringSlice("flags")) > 0})
		if err != nil {
			return fmt.Errorf("%s decides %s %s: %w", approver.GetString("name"), field, r.Id, err)
		}
	}
	return fmt.Errorf("%s %s: still submitted after 10 approvals", field, r.Id)
}

// Finance is an active finance user.
func Finance(app core.App) (*core.Record, error) {
	u, err := app.FindFirstRecordByFilter("users", "role = 'finance' && active = true")
	if err != nil {
		return nil, fmt.Errorf("no active finance user: %w", err)
	}
	return u, nil
}

func setStatus(app core.App, as, r *core.Record, status string) error {
	fresh, err := app.FindRecordById(r.Collection(), r.Id)
	if err != nil {
		return err
	}
	fresh.Set("status", status)
	if err := Save(app, as, fresh); err != nil {
		return fmt.Errorf("%s sets %s %s to %s: %w", as.GetString("name"), r.Collection().Name, r.Id, status, err)
	}
	return nil
}
