// Package actor records who is behind a record write, so that model-level
// hooks (which see only the record) can apply the caller's permissions.
//
// Request hooks and the sync push stamp the actor on the record before it is
// saved; a write with no actor comes from the server itself (hooks, cron,
// migrations, CLI) and is trusted.
package actor

import "github.com/pocketbase/pocketbase/core"

// Actor is a client-originated writer: a user, a superuser, or a guest
// (neither set).
type Actor struct {
	User      *core.Record // the users record, nil for superusers and guests
	Superuser string       // the _superusers id, when a superuser writes
	ClientID  string       // the sync client, when the write came from a push
}

// key is a custom-data key: never persisted nor exported by PocketBase.
const key = "@rapport.actor"

// FromAuth builds the actor of an authenticated request (auth may be nil).
func FromAuth(auth *core.Record) *Actor {
	switch {
	case auth == nil:
		return &Actor{}
	case auth.IsSuperuser():
		return &Actor{Superuser: auth.Id}
	default:
		return &Actor{User: auth}
	}
}

// Bind stamps a on r.
func Bind(r *core.Record, a *Actor) { r.Set(key, a) }

// Of returns the actor stamped on r, or nil for a server-originated write.
func Of(r *core.Record) *Actor {
	a, _ := r.GetRaw(key).(*Actor)
	return a
}

// UserID is the acting user's id ("" for superusers, guests and the server).
func (a *Actor) UserID() string {
	if a == nil || a.User == nil {
		return ""
	}
	return a.User.Id
}

// Role is the acting user's role ("" when not a user).
func (a *Actor) Role() string {
	if a == nil || a.User == nil {
		return ""
	}
	return a.User.GetString("role")
}

// Privileged reports whether the writer may act on behalf of anyone: the
// server itself, a superuser, or a user with the admin role.
func (a *Actor) Privileged() bool {
	return a == nil || a.Superuser != "" || a.Role() == "admin"
}
