package hooks

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/violation"
)

// adminFields are the user fields only admins and superusers may change.
var adminFields = []string{"role", "team", "manager", "approval_limit", "active"}

// memberCollections are the records that follow their owner's team
// (expenses only while draft: chargedTeam).
var memberCollections = []struct{ collection, ownerField string }{
	{"customers", "owner"}, {"plans", "owner"}, {"visits", "rep"}, {"expenses", "rep"},
	{"complaints", "owner"},
}

func bindUsers(app core.App) {
	app.OnRecordCreateRequest("users").BindFunc(func(e *core.RecordRequestEvent) error {
		// New accounts are active unless the admin says otherwise.
		if info, err := e.RequestInfo(); err == nil {
			if _, sent := info.Body["active"]; !sent {
				e.Record.Set("active", true)
			}
		}
		return e.Next()
	})

	app.OnRecordCreateExecute("users").BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetString("role") == "" {
			e.Record.Set("role", "rep")
		}
		return e.Next()
	})

	app.OnRecordUpdateExecute("users").BindFunc(func(e *core.RecordEvent) error {
		a := actor.Of(e.Record)
		original := e.Record.Original()
		if !a.Privileged() && a.UserID() != e.Record.Id {
			// Managers and finance may see other accounts, never edit them.
			return violation.Forbidden(firstChange(e.Record), "forbidden", "Only an administrator can change another user's account.")
		}
		for _, f := range adminFields {
			if sameValue(e.Record.Get(f), original.Get(f)) {
				continue
			}
			if a != nil && a.UserID() == e.Record.Id {
				who := "an administrator"
				if a.Role() == "admin" {
					who = "another administrator"
				}
				return violation.Forbidden(f, "forbidden", "You cannot change your own %s; ask %s.", f, who)
			}
			if !a.Privileged() {
				return violation.Forbidden(f, "forbidden", "Only an administrator can change %s.", f)
			}
		}
		if e.Record.GetString("manager") == e.Record.Id {
			return violation.New("manager", "invalid_manager", "A user cannot be their own manager.")
		}
		if original.GetBool("active") && !e.Record.GetBool("active") {
			// Deactivation signs the user out everywhere: tokens already
			// issued (valid for 30 days) stop working at once.
			e.Record.RefreshTokenKey()
		}
		return e.Next()
	})

	// A user who moves team takes their records along: the team field is
	// denormalised for visibility, and the new team's managers take over
	// (expenses past draft excepted: they stay charged to, and seen by,
	// the team they were submitted in). Pending submissions go to the first
	// approver of the new chain, also when only the user's manager changes.
	// Whoever's chain ran through the user is rechecked too: requests left
	// with an approver no longer in their chain move on.
	app.OnRecordUpdate("users").BindFunc(func(e *core.RecordEvent) error {
		original := e.Record.Original()
		if err := e.Next(); err != nil {
			return err
		}
		newTeam := e.Record.GetString("team")
		moved := original.GetString("team") != newTeam
		rechain := moved || original.GetString("manager") != e.Record.GetString("manager")
		if rechain {
			if err := takeRecordsAlong(e.App, e.Record); err != nil {
				return err
			}
		}
		if rechain || original.GetString("role") != e.Record.GetString("role") ||
			original.GetBool("active") != e.Record.GetBool("active") {
			return rerouteStranded(e.App, e.Record)
		}
		return nil
	})
}

// takeRecordsAlong gives a user's records their new team, and sends their
// pending plans to the first approver of their new chain. Expenses past
// draft stay charged to, and decided in, the team they were submitted in
// (chargedTeam, chargedTo).
func takeRecordsAlong(app core.App, user *core.Record) error {
	for _, m := range memberCollections {
		records, err := app.FindAllRecords(m.collection, dbxEq(m.ownerField, user.Id))
		if err != nil {
			return err
		}
		for _, r := range records {
			if m.collection != "expenses" || r.GetString("status") == "draft" {
				r.Set("team", user.GetString("team"))
			}
			// a pending plan follows its owner's chain; a pending expense
			// keeps its charged team's (rerouteStranded rechecks it)
			if m.collection == "plans" && r.GetString("status") == "submitted" {
				if err := routeSubmit(app, r, user.Id); err != nil {
					return err
				}
			}
			// unchanged records keep their version: phones holding
			// them as a push's base see no conflict
			if firstChange(r) == "id" {
				continue
			}
			causedBy(r, user)
			if err := app.Save(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// firstChange names the first field an update changes, other than those
// in except ("id" when none).
func firstChange(r *core.Record, except ...string) string {
	original := r.Original()
	for _, f := range r.Collection().Fields {
		if slices.Contains(except, f.GetName()) {
			continue
		}
		if !f.GetHidden() && !sameValue(r.Get(f.GetName()), original.Get(f.GetName())) {
			return f.GetName()
		}
	}
	return "id"
}
