package hooks

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/violation"
)

// Plans, visits and expenses belong to the rep who owns their customer:
// the server derives owner/rep, customer and team, and refuses work for
// someone else's customer.
func bindOwnership(app core.App) {
	app.OnRecordCreateExecute("plans").BindFunc(func(e *core.RecordEvent) error {
		p := e.Record
		customer, err := ownedCustomer(e.App, p, p.GetString("customer"), "customer")
		if err != nil {
			return err
		}
		p.Set("owner", customer.Owner)
		setDefault(p, "status", "draft")
		return deriveTeam(e, "owner")
	})
	app.OnRecordUpdateExecute("plans").BindFunc(func(e *core.RecordEvent) error {
		p := e.Record
		if err := onlyOwnerEdits(p, "owner", "status"); err != nil {
			return err
		}
		if p.GetString("customer") != p.Original().GetString("customer") {
			customer, err := ownedCustomer(e.App, p, p.GetString("customer"), "customer")
			if err != nil {
				return err
			}
			p.Set("owner", customer.Owner) // an admin may move it to another rep's customer
		}
		return deriveTeam(e, "owner")
	})

	app.OnRecordCreateExecute("visits").BindFunc(func(e *core.RecordEvent) error {
		v := e.Record
		customer, err := ownedCustomer(e.App, v, v.GetString("customer"), "customer")
		if err != nil {
			return err
		}
		v.Set("rep", customer.Owner)
		setDefault(v, "status", "scheduled")
		setDefault(v, "kind", "visit")
		setDefault(v, "source", "manual")
		if err := samePlanCustomer(e.App, v); err != nil {
			return err
		}
		return deriveTeam(e, "rep")
	})
	app.OnRecordUpdateExecute("visits").BindFunc(func(e *core.RecordEvent) error {
		v := e.Record
		if err := onlyOwnerEdits(v, "rep"); err != nil { // a visit is the rep's own record
			return err
		}
		if v.GetString("customer") != v.Original().GetString("customer") {
			customer, err := ownedCustomer(e.App, v, v.GetString("customer"), "customer")
			if err != nil {
				return err
			}
			v.Set("rep", customer.Owner)
		}
		if err := samePlanCustomer(e.App, v); err != nil {
			return err
		}
		return deriveTeam(e, "rep")
	})

	deriveExpense := func(e *core.RecordEvent) error {
		x := e.Record
		planChanged := x.IsNew() || x.GetString("plan") != x.Original().GetString("plan")
		if planChanged {
			customer, err := findPlanCustomer(e.App, x.GetString("plan"))
			if err != nil {
				return violation.New("plan", "validation_missing_rel_records", "The plan does not exist.")
			}
			if err := checkOwner(x, customer, "plan"); err != nil {
				return err
			}
			x.Set("customer", customer.Id)
			x.Set("rep", customer.Owner)
		}
		if visitId := x.GetString("visit"); visitId != "" {
			visit, err := e.App.FindRecordById("visits", visitId)
			if err != nil || visit.GetString("customer") != x.GetString("customer") {
				return violation.New("visit", "customer_mismatch", "The visit is at a different customer than the expense's plan.")
			}
		}
		if chargedTeam(x) {
			// charged to the team it was submitted in, whoever saves it
			x.Set("team", x.Original().GetString("team"))
			return e.Next()
		}
		return deriveTeam(e, "rep")
	}
	app.OnRecordCreateExecute("expenses").BindFunc(func(e *core.RecordEvent) error {
		setDefault(e.Record, "status", "draft")
		if err := checkCurrency(e.App, e.Record); err != nil {
			return err
		}
		return deriveExpense(e)
	})
	app.OnRecordUpdateExecute("expenses").BindFunc(func(e *core.RecordEvent) error {
		if err := onlyOwnerEdits(e.Record, "rep", "status"); err != nil {
			return err
		}
		if err := checkCurrency(e.App, e.Record); err != nil {
			return err
		}
		return deriveExpense(e)
	})

	for _, c := range []struct{ collection, ownerField string }{{"plans", "owner"}, {"visits", "rep"}, {"expenses", "rep"}} {
		app.OnRecordDeleteExecute(c.collection).BindFunc(func(e *core.RecordEvent) error {
			a := actor.Of(e.Record)
			if !a.Privileged() && a.UserID() != e.Record.GetString(c.ownerField) {
				return violation.Forbidden(c.ownerField, "forbidden", "Only the owner can delete this record.")
			}
			return e.Next()
		})
	}
}

// ownedCustomer loads the customer and checks the writer owns it.
func ownedCustomer(app core.App, r *core.Record, customerId, field string) (customerRef, error) {
	customer, err := findCustomer(app, customerId)
	if err != nil {
		return customer, violation.New(field, "validation_missing_rel_records", "The customer does not exist.")
	}
	return customer, checkOwner(r, customer, field)
}

// checkOwner refuses work on someone else's customer. The server,
// superusers and admins act on behalf of the owner. The message does not
// name the customer: the writer may not be allowed to see it.
func checkOwner(r *core.Record, customer customerRef, field string) error {
	a := actor.Of(r)
	if !a.Privileged() && customer.Owner != a.UserID() {
		return violation.New(field, "not_owner", "This customer belongs to another rep; only its owner can record work for it.")
	}
	return nil
}

// onlyOwnerEdits lets people other than the owner (approvers, finance,
// managers) change nothing but the fields in allowed (status of plans and
// expenses: their state machines then decide whether the transition is
// theirs to make).
func onlyOwnerEdits(r *core.Record, ownerField string, allowed ...string) error {
	a := actor.Of(r)
	if a.Privileged() || a.UserID() == r.Original().GetString(ownerField) {
		return nil
	}
	original := r.Original()
	server := ServerFields[r.Collection().Name]
	for _, f := range r.Collection().Fields {
		name := f.GetName()
		if slices.Contains(allowed, name) || slices.Contains(server, name) || name == core.FieldNameId || f.Type() == "autodate" {
			continue
		}
		if !sameValue(r.Get(name), original.Get(name)) {
			return violation.Forbidden(name, "forbidden", "Only the owner can change %s.", name)
		}
	}
	return nil
}

func samePlanCustomer(app core.App, v *core.Record) error {
	planId := v.GetString("plan")
	if planId == "" {
		return nil
	}
	plan, err := app.FindRecordById("plans", planId)
	if err != nil || plan.GetString("customer") != v.GetString("customer") {
		return violation.New("plan", "customer_mismatch", "The plan is for a different customer than the visit.")
	}
	return nil
}

// chargedTeam reports whether expense x keeps its stored team on this
// save. An expense is charged to the team it was submitted in: its team
// follows its rep while it is a draft, on create and on the save that
// submits it (the rep's team then); from submission on (submitted,
// approved, rejected, paid) it stays, so a rep's team move leaves what is
// committed against the old team's budgets there. An expense that goes
// back to draft (withdraw, reopen) follows its rep again.
func chargedTeam(x *core.Record) bool {
	return !x.IsNew() && x.Original().GetString("status") != "draft" && x.GetString("status") != "draft"
}

func deriveTeam(e *core.RecordEvent, ownerField string) error {
	team, err := userTeam(e.App, e.Record.GetString(ownerField))
	if err != nil {
		return err
	}
	e.Record.Set("team", team)
	return e.Next()
}

func setDefault(r *core.Record, field, value string) {
	if r.GetString(field) == "" {
		r.Set(field, value)
	}
}
