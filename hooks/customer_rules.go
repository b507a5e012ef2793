package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/org"
	"rapport/internal/schedule"
	"rapport/internal/violation"
)

// A customer is its owner's, seen by their team's managers; its tier
// follows its annual contract amount (unless locked by a manager), its
// next visit due its cadence (docs/care.md). Giving it to someone else
// is in customer_reassign.go.
func bindCustomers(app core.App) {
	bind(app.OnRecordCreateExecute("customers"), StageOwner, "rapport.customers.owner", deriveCustomer)
	bind(app.OnRecordUpdateExecute("customers"), StageOwner, "rapport.customers.owner", deriveCustomer)
	bind(app.OnRecordCreateExecute("customers"), StageCare, "rapport.customers.next_visit", nextVisitDue)
	bind(app.OnRecordUpdateExecute("customers"), StageCare, "rapport.customers.next_visit", nextVisitDue)
	bind(app.OnRecordUpdate("customers"), StageConsequences, "rapport.customers.schedule", rescheduleCustomer)
	bindReassign(app)
}

// deriveCustomer checks who may write what, and derives the owner,
// status, tier and team.
func deriveCustomer(e *core.RecordEvent) error {
	c := e.Record
	a := actor.Of(c)
	if err := customerFieldsOf(a, c); err != nil {
		return err
	}
	if c.IsNew() && c.GetString("owner") == "" {
		c.Set("owner", a.UserID())
	}
	if c.GetString("owner") == "" {
		return violation.New("owner", "validation_required", "A customer needs an owner.")
	}
	setDefault(c, "status", "active")
	if c.GetString("owner") != c.Original().GetString("owner") {
		if err := checkReassign(e.App, a, c.Original(), c); err != nil {
			return err
		}
		if err := activeOwner(e.App, c); err != nil {
			return err
		}
	}
	if err := deriveTier(e.App, a, c); err != nil {
		return err
	}
	return deriveTeam(e, "owner")
}

// customerFieldsOf refuses what a may not change: finance corrects the
// annual contract amount only; of an existing customer, that amount is
// changed by those who set contracts (setsContracts).
func customerFieldsOf(a *actor.Actor, c *core.Record) error {
	if a.Role() == "finance" && (c.IsNew() || firstChange(c, "annual_contract_amount") != "id") {
		return violation.Forbidden(firstChange(c, "annual_contract_amount"), "forbidden", "Finance can read customers and correct their annual contract amount, but not change anything else.")
	}
	if !c.IsNew() && c.GetInt("annual_contract_amount") != c.Original().GetInt("annual_contract_amount") && !setsContracts(a) {
		return violation.Forbidden("annual_contract_amount", "forbidden", "Only a manager, director, finance or an administrator can change the annual contract amount of an existing customer (it sets the tier, and with it the spending limits); ask your manager.")
	}
	return nil
}

// deriveTier computes the customer's tier from its annual contract, unless
// a manager locked it by hand.
func deriveTier(app core.App, a *actor.Actor, c *core.Record) error {
	original := c.Original()
	lockChanged := c.GetBool("tier_locked") != original.GetBool("tier_locked") ||
		(c.GetBool("tier_locked") && c.GetString("tier") != original.GetString("tier"))
	if lockChanged && !a.Privileged() && !isManagerRole(a.Role()) {
		return violation.Forbidden("tier_locked", "forbidden", "Only a manager, director or admin can set a customer's tier by hand.")
	}
	if !c.GetBool("tier_locked") || c.GetString("tier") == "" {
		tiers, err := org.LoadTiers(app)
		if err != nil {
			return err
		}
		c.Set("tier", org.TierFor(tiers, int64(c.GetInt("annual_contract_amount"))))
	}
	return nil
}

// nextVisitDue follows the customer's last visit, customer_since and tier.
func nextVisitDue(e *core.RecordEvent) error {
	s, err := org.LoadSettings(e.App)
	if err != nil {
		return err
	}
	tiers, err := org.LoadTiers(e.App)
	if err != nil {
		return err
	}
	e.Record.Set("next_visit_due", schedule.NextVisitDue(s, tiers, e.Record))
	return e.Next()
}

// rescheduleCustomer: a done visit moves the cadence; a customer no longer
// active has its generated visits cancelled (and an active one again gets
// its cadence).
func rescheduleCustomer(e *core.RecordEvent) error {
	original := e.Record.Original()
	if err := e.Next(); err != nil {
		return err
	}
	if original.GetString("status") == e.Record.GetString("status") &&
		sameValue(original.Get("last_visit_at"), e.Record.Get("last_visit_at")) {
		return nil
	}
	return schedule.Customer(e.App, e.Record.Id)
}

func isManagerRole(role string) bool { return role == "manager" || role == "director" }

// setsContracts reports whether a may change an existing customer's
// annual_contract_amount: it decides the tier, whose limits bound the
// owner's own spending, so the owner does not.
func setsContracts(a *actor.Actor) bool {
	return a.Privileged() || isManagerRole(a.Role()) || a.Role() == "finance"
}
