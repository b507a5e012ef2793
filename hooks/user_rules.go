package hooks

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/catalog"
	"rapport/internal/violation"
)

// adminFields are the user fields only admins and superusers may change.
var adminFields = []string{"role", "team", "manager", "approval_limit", "active"}

// Accounts: a user edits their own (not its role, team, manager, approval
// limit or active flag: admins do); a user who moves takes their records
// along. Sign-in credentials are in user_credentials.go, a leaver's
// hand-over in user_leavers.go.
func bindUsers(app core.App) {
	bind(app.OnRecordCreateRequest("users"), StageRequestRules, "rapport.users.active", activeByDefault)
	bind(app.OnRecordCreateExecute("users"), StageOwner, "rapport.users.defaults", defaultRole)
	bind(app.OnRecordUpdateExecute("users"), StageOwner, "rapport.users.permissions", accountPermissions)
	bind(app.OnRecordUpdate("users"), StageCascade, "rapport.users.rechain", rechain)
}

// activeByDefault: new accounts are active unless the admin says otherwise.
func activeByDefault(e *core.RecordRequestEvent) error {
	if info, err := e.RequestInfo(); err == nil {
		if _, sent := info.Body["active"]; !sent {
			e.Record.Set("active", true)
		}
	}
	return e.Next()
}

func defaultRole(e *core.RecordEvent) error {
	if e.Record.GetString("role") == "" {
		e.Record.Set("role", "rep")
	}
	return e.Next()
}

// accountPermissions: managers and finance may see other accounts, never
// edit them; nobody changes their own adminFields.
func accountPermissions(e *core.RecordEvent) error {
	a := actor.Of(e.Record)
	original := e.Record.Original()
	if !a.Privileged() && a.UserID() != e.Record.Id {
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
}

// rechain: a user who moves team takes their records along: the team
// field is denormalised for visibility, and the new team's managers take
// over (expenses past draft excepted: they stay charged to, and seen by,
// the team they were submitted in). Pending submissions go to the first
// approver of the new chain, also when only the user's manager changes.
// Whoever's chain ran through the user is rechecked too: requests left
// with an approver no longer in their chain move on.
func rechain(e *core.RecordEvent) error {
	original := e.Record.Original()
	if err := e.Next(); err != nil {
		return err
	}
	moved := original.GetString("team") != e.Record.GetString("team")
	chainChanged := moved || original.GetString("manager") != e.Record.GetString("manager")
	if chainChanged {
		if err := takeRecordsAlong(e.App, e.Record); err != nil {
			return err
		}
	}
	if chainChanged || original.GetString("role") != e.Record.GetString("role") ||
		original.GetBool("active") != e.Record.GetBool("active") {
		return rerouteStranded(e.App, e.Record)
	}
	return nil
}

// takeRecordsAlong gives a user's records their new team, and sends their
// pending plans to the first approver of their new chain. Expenses past
// draft stay charged to, and decided in, the team they were submitted in
// (chargedTeam, chargedTo).
func takeRecordsAlong(app core.App, user *core.Record) error {
	for _, m := range catalog.All {
		if !m.FollowsOwner {
			continue
		}
		records, err := app.FindAllRecords(m.Name, dbx.HashExp{m.Owner: user.Id})
		if err != nil {
			return err
		}
		for _, r := range records {
			if m.Name != "expenses" || r.GetString("status") == "draft" {
				r.Set("team", user.GetString("team"))
			}
			// a pending expense keeps its charged team's chain
			// (rerouteStranded rechecks it)
			if err := followOwnersChain(app, r, user.Id); err != nil {
				return err
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
