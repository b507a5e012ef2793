package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/violation"
)

// signInFields are what only an account's owner (and superusers) change:
// the auth collection's e-mail, e-mail visibility, verified flag and
// password, and the password form's oldPassword and passwordConfirm. (The
// token key is hidden: PocketBase drops it from any other caller's body.)
var signInFields = []string{"email", "emailVisibility", "verified", "password", "passwordConfirm", "oldPassword"}

// bindAccounts keeps sign-in credentials their owner's. PocketBase checks
// an update's oldPassword, and that its e-mail equals the stored one,
// before any record hook runs, and answers a wrong guess differently from
// a right one: anyone allowed to send an update to another account (finance:
// every account; a manager: their team) could guess its password or hidden
// e-mail without limit. So an update of another person's account that sends
// any of signInFields is refused first, whatever the values, with one
// answer: 403 forbidden on the first of them. This is a request hook
// because the credential checks it must come before are the records API's
// (REST, batch and the dashboard; users are not synced); the model hook
// below keeps every other write path to the same rule.
func bindAccounts(app core.App) {
	bind(app.OnRecordUpdateRequest("users"), StageRequestRules, "rapport.users.credentials", credentialsSent)
	bind(app.OnRecordUpdateExecute("users"), StageRules, "rapport.users.credentials", credentialsChanged)
}

// credentialsSent refuses another person's update that sends any of
// signInFields, before PocketBase checks them.
func credentialsSent(e *core.RecordRequestEvent) error {
	if e.HasSuperuserAuth() || (e.Auth != nil && e.Auth.Id == e.Record.Id) {
		return e.Next()
	}
	info, err := e.RequestInfo()
	if err != nil {
		return err
	}
	for _, f := range signInFields {
		if _, sent := info.Body[f]; sent {
			return othersSignIn(f)
		}
	}
	return e.Next()
}

// credentialsChanged refuses, on every write path, another person's change
// of the sign-in fields.
func credentialsChanged(e *core.RecordEvent) error {
	a := actor.Of(e.Record)
	if a.IsServer() || a.Superuser != "" || a.UserID() == e.Record.Id {
		return e.Next()
	}
	// the token key is left out: deactivating an account rotates it
	original := e.Record.Original()
	for _, f := range []string{"email", "emailVisibility", "verified", "password"} {
		if !sameValue(e.Record.Get(f), original.Get(f)) {
			return othersSignIn(f)
		}
	}
	return e.Next()
}

func othersSignIn(field string) error {
	return violation.Forbidden(field, "forbidden", "Only the account's owner can change its e-mail, password or sign-in settings; they do it signed in as themselves (or through a password reset e-mail).")
}
