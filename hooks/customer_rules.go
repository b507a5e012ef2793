package hooks

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/org"
	"rapport/internal/violation"
)

func bindCustomers(app core.App) {
	derive := func(e *core.RecordEvent) error {
		c := e.Record
		a := actor.Of(c)
		original := c.Original()
		if a.Role() == "finance" && (c.IsNew() || firstChange(c, "annual_contract_amount") != "id") {
			return violation.Forbidden(firstChange(c, "annual_contract_amount"), "forbidden", "Finance can read customers and correct their annual contract amount, but not change anything else.")
		}
		if !c.IsNew() && c.GetInt("annual_contract_amount") != original.GetInt("annual_contract_amount") && !setsContracts(a) {
			return violation.Forbidden("annual_contract_amount", "forbidden", "Only a manager, director, finance or an administrator can change the annual contract amount of an existing customer (it sets the tier, and with it the spending limits); ask your manager.")
		}
		if c.IsNew() && c.GetString("owner") == "" {
			c.Set("owner", a.UserID())
		}
		if c.GetString("owner") == "" {
			return violation.New("owner", "validation_required", "A customer needs an owner.")
		}
		if c.GetString("status") == "" {
			c.Set("status", "active")
		}
		if c.GetString("owner") != original.GetString("owner") {
			if err := checkReassign(e.App, a, original, c); err != nil {
				return err
			}
			if err := activeOwner(e.App, c); err != nil {
				return err
			}
		}
		lockChanged := c.GetBool("tier_locked") != original.GetBool("tier_locked") ||
			(c.GetBool("tier_locked") && c.GetString("tier") != original.GetString("tier"))
		if lockChanged && !a.Privileged() && !isManagerRole(a.Role()) {
			return violation.Forbidden("tier_locked", "forbidden", "Only a manager, director or admin can set a customer's tier by hand.")
		}
		if !c.GetBool("tier_locked") || c.GetString("tier") == "" {
			tiers, err := org.LoadTiers(e.App)
			if err != nil {
				return err
			}
			c.Set("tier", org.TierFor(tiers, int64(c.GetInt("annual_contract_amount"))))
		}
		team, err := userTeam(e.App, c.GetString("owner"))
		if err != nil {
			return err
		}
		c.Set("team", team)
		return e.Next()
	}
	app.OnRecordCreateExecute("customers").BindFunc(derive)
	app.OnRecordUpdateExecute("customers").BindFunc(derive)

	// Reassignment moves the open work to the new owner; history stays.
	app.OnRecordUpdate("customers").BindFunc(func(e *core.RecordEvent) error {
		oldOwner := e.Record.Original().GetString("owner")
		if err := e.Next(); err != nil {
			return err
		}
		newOwner := e.Record.GetString("owner")
		if oldOwner == newOwner {
			return nil
		}
		moves := []struct {
			collection, field string
			open              []any
		}{
			{"plans", "owner", []any{"draft", "submitted", "approved"}},
			{"visits", "rep", []any{"scheduled"}},
			{"complaints", "owner", []any{"open", "acknowledged"}},
		}
		for _, m := range moves {
			records, err := e.App.FindAllRecords(m.collection,
				dbx.HashExp{"customer": e.Record.Id, m.field: oldOwner},
				dbx.In("status", m.open...))
			if err != nil {
				return err
			}
			for _, r := range records {
				r.Set(m.field, newOwner)
				if r.GetString("status") == "submitted" {
					// a pending plan now waits for the new owner's approver
					if err := routeSubmit(e.App, r, newOwner); err != nil {
						return err
					}
				}
				causedBy(r, e.Record)
				if err := e.App.Save(r); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func isManagerRole(role string) bool { return role == "manager" || role == "director" }

// setsContracts reports whether a may change an existing customer's
// annual_contract_amount: it decides the tier, whose limits bound the
// owner's own spending, so the owner does not.
func setsContracts(a *actor.Actor) bool {
	return a.Privileged() || isManagerRole(a.Role()) || a.Role() == "finance"
}

// checkReassign allows giving a customer to someone else only to admins and
// to managers for whom both the current and the new owner's team are theirs.
// activeOwner refuses to give customer c to a deactivated account: nobody
// would look after it.
func activeOwner(app core.App, c *core.Record) error {
	owner, err := app.FindRecordById("users", c.GetString("owner"))
	if err != nil {
		return violation.New("owner", "validation_missing_rel_records", "The new owner does not exist.")
	}
	if !owner.GetBool("active") {
		return violation.New("owner", "inactive_user", "%s's account is deactivated; give the customer to someone active.", owner.GetString("name"))
	}
	return nil
}

func checkReassign(app core.App, a *actor.Actor, original, c *core.Record) error {
	if a.Privileged() {
		return nil
	}
	if c.IsNew() && c.GetString("owner") == a.UserID() {
		return nil
	}
	to, err := userTeam(app, c.GetString("owner"))
	if err != nil {
		return err
	}
	teams := []string{to}
	if !c.IsNew() {
		teams = append(teams, original.GetString("team"))
	}
	for _, team := range teams {
		if manages, err := managesTeam(app, a, team); err != nil {
			return err
		} else if !manages {
			return violation.Forbidden("owner", "forbidden", "Only an administrator, or a manager of both teams, can assign this customer to someone else.")
		}
	}
	return nil
}
