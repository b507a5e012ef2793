package hooks

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/catalog"
	"rapport/internal/violation"
)

// Plans, visits and expenses belong to the rep who owns their customer:
// each collection's owner handler (StageOwner: plan_rules.go,
// visit_rules.go, expense_rules.go) derives owner/rep, customer and team
// with the helpers here, and refuses work for someone else's customer.
// Records others see but only their owner deletes (catalog OwnerDeletes)
// are refused to everyone else here.
func bindOwnerDeletes(app core.App) {
	for _, c := range catalog.All {
		if c.OwnerDeletes {
			bind(app.OnRecordDeleteExecute(c.Name), StageOwner, "rapport."+c.Name+".owner", func(e *core.RecordEvent) error {
				return ownerDeletes(e, c.Owner)
			})
		}
	}
}

func ownerDeletes(e *core.RecordEvent, ownerField string) error {
	a := actor.Of(e.Record)
	if !a.Privileged() && a.UserID() != e.Record.GetString(ownerField) {
		return violation.Forbidden(ownerField, "forbidden", "Only the owner can delete this record.")
	}
	return e.Next()
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

// ownerFromCustomer gives r (a plan or visit) the owner of its customer
// when it is new or moves to another customer (an admin may move it to
// another rep's customer); the writer must own the customer.
func ownerFromCustomer(app core.App, r *core.Record) error {
	if !r.IsNew() && r.GetString("customer") == r.Original().GetString("customer") {
		return nil
	}
	customer, err := ownedCustomer(app, r, r.GetString("customer"), "customer")
	if err != nil {
		return err
	}
	r.Set(catalog.Get(r.Collection().Name).Owner, customer.Owner)
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
	server := serverFields(r)
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
