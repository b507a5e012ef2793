package hooks

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/catalog"
	"rapport/internal/violation"
)

// Giving a customer to someone else moves its open work to the new owner
// (catalog Reassigned: the records, and the statuses, that move); history
// stays with its rep.
func bindReassign(app core.App) {
	bind(app.OnRecordUpdate("customers"), StageCascade, "rapport.customers.reassign", reassignOpenWork)
}

func reassignOpenWork(e *core.RecordEvent) error {
	oldOwner := e.Record.Original().GetString("owner")
	if err := e.Next(); err != nil {
		return err
	}
	newOwner := e.Record.GetString("owner")
	if oldOwner == newOwner {
		return nil
	}
	for _, c := range catalog.All {
		if len(c.Reassigned) == 0 {
			continue
		}
		if err := moveOpenWork(e.App, e.Record, &c, oldOwner, newOwner); err != nil {
			return err
		}
	}
	return nil
}

// moveOpenWork gives customer's open records of c from oldOwner to
// newOwner; a pending plan then waits for the new owner's approver.
func moveOpenWork(app core.App, customer *core.Record, c *catalog.Collection, oldOwner, newOwner string) error {
	records, err := app.FindAllRecords(c.Name,
		dbx.HashExp{"customer": customer.Id, c.Owner: oldOwner},
		dbx.In("status", anys(c.Reassigned)...))
	if err != nil {
		return err
	}
	for _, r := range records {
		r.Set(c.Owner, newOwner)
		if err := followOwnersChain(app, r, newOwner); err != nil {
			return err
		}
		causedBy(r, customer)
		if err := app.Save(r); err != nil {
			return err
		}
	}
	return nil
}

// anys is values as a list of any, for dbx.In.
func anys(values []string) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}

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

// checkReassign allows giving a customer to someone else only to admins and
// to managers for whom both the current and the new owner's team are theirs.
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
