package hooks

import (
	"errors"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/actor"
	"rapport/internal/org"
	"rapport/internal/violation"
)

// Complaints (docs/care.md): logged by anyone who may see the customer,
// owned by the customer's owner, answered within complaint_response_hours.
//
//	open → acknowledged (needs first_response) → resolved (needs resolution) → closed
//	open → resolved;  resolved | closed → open (reopened)

// complaintMoves are the status changes a complaint may make.
var complaintMoves = map[string][]string{
	"open":         {"acknowledged", "resolved"},
	"acknowledged": {"resolved"},
	"resolved":     {"closed", "open"},
	"closed":       {"open"},
}

// One handler per write (StageRules): the owner is derived after the
// status checks, so a refused transition is answered as such.
func bindComplaints(app core.App) {
	bind(app.OnRecordCreateExecute("complaints"), StageRules, "rapport.complaints.rules", createComplaint)
	bind(app.OnRecordUpdateExecute("complaints"), StageRules, "rapport.complaints.rules", updateComplaint)
}

func createComplaint(e *core.RecordEvent) error {
	c := e.Record
	setDefault(c, "status", "open")
	setDefault(c, "severity", "normal")
	if c.GetString("status") != "open" {
		return violation.New("status", "invalid_transition", "A new complaint is open; acknowledge or resolve it once it is logged.")
	}
	if err := setResponseDue(e.App, c); err != nil {
		return err
	}
	return deriveComplaintOwner(e)
}

func updateComplaint(e *core.RecordEvent) error {
	c := e.Record
	if !sameValue(c.Get("received_at"), c.Original().Get("received_at")) {
		if err := setResponseDue(e.App, c); err != nil {
			return err
		}
	}
	from, to := c.Original().GetString("status"), c.GetString("status")
	if from != to {
		if err := complaintTransition(c, from, to); err != nil {
			return err
		}
	}
	if c.GetString("customer") != c.Original().GetString("customer") {
		return deriveComplaintOwner(e)
	}
	return deriveTeam(e, "owner")
}

// setResponseDue derives response_due from received_at (now when unset).
// A received_at in the future (a phone's wrong clock) is taken as now: it
// would otherwise push the deadline out.
func setResponseDue(app core.App, c *core.Record) error {
	now := time.Now()
	received := c.GetDateTime("received_at").Time()
	if received.IsZero() || received.After(now) {
		received = now
		c.Set("received_at", received)
	}
	s, err := org.LoadSettings(app)
	if err != nil {
		return err
	}
	c.Set("response_due", received.Add(time.Duration(s.ComplaintResponseHours)*time.Hour))
	return nil
}

// complaintTransition checks a status change and stamps its times.
func complaintTransition(c *core.Record, from, to string) error {
	allowed := false
	for _, next := range complaintMoves[from] {
		allowed = allowed || next == to
	}
	if !allowed {
		return violation.New("status", "invalid_transition", "A complaint cannot go from %s to %s: open → acknowledged → resolved → closed, and a resolved or closed one can be reopened.", from, to)
	}
	now := types.NowDateTime()
	switch to {
	case "acknowledged":
		if c.GetString("first_response") == "" {
			return violation.New("first_response", "response_required", "Write the first response given to the customer before acknowledging the complaint.")
		}
	case "resolved":
		if c.GetString("resolution") == "" {
			return violation.New("resolution", "resolution_required", "Describe how the complaint was resolved before resolving it.")
		}
		c.Set("resolved_at", now)
	case "open":
		c.Set("resolved_at", nil) // reopened
	}
	if from == "open" && c.GetDateTime("responded_at").IsZero() && c.GetString("first_response") != "" {
		c.Set("responded_at", now)
		if due := c.GetDateTime("response_due"); !due.IsZero() && now.After(due) {
			c.Set("breached", true) // answered late: the job may not have run yet
		}
	}
	return nil
}

// deriveComplaintOwner gives the complaint its customer's owner and team.
func deriveComplaintOwner(e *core.RecordEvent) error {
	customer, err := findCustomer(e.App, e.Record.GetString("customer"))
	if err == nil {
		err = mayLogFor(e.App, actor.Client(e.Record), customer)
	}
	if err != nil {
		return violation.New("customer", "validation_missing_rel_records", "The customer does not exist or is not one you may see.")
	}
	e.Record.Set("owner", customer.Owner)
	return deriveTeam(e, "owner")
}

// mayLogFor refuses a complaint about a customer a (nil: the server) may
// not see: as for a relation to a record out of sight, the customer is as
// good as missing. The check is here, with a code, rather than in the
// create rule, whose refusal PocketBase answers with no code at all.
func mayLogFor(app core.App, a *actor.Actor, customer customerRef) error {
	if a == nil || a.Privileged() || a.Role() == "finance" || a.UserID() == customer.Owner {
		return nil
	}
	c, err := app.FindRecordById("customers", customer.Id)
	if err != nil {
		return err
	}
	if sees, err := viewsTeam(app, c.GetString("team"), a.UserID()); err != nil || !sees {
		return errors.Join(err, errors.New("out of sight"))
	}
	return nil
}
