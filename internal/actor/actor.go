// Package actor records who is behind a record write, so that model-level
// hooks (which see only the record) can apply the writer's permissions.
//
// Every write of a guarded collection names its writer. Request hooks and
// the sync push stamp the caller; server code (hooks' cascades, cron jobs,
// commands, the demo, seeds) stamps Server. A write with no stamp is
// refused (Require): a new route that forgets to say who writes cannot
// skip the permission rules.
package actor

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Actor is a writer: a user, a superuser, a guest (neither set), or Server.
type Actor struct {
	User      *core.Record // the users record, nil for superusers and guests
	Superuser string       // the _superusers id, when a superuser writes
	ClientID  string       // the sync client, when the write came from a push
	server    bool         // only Server has it
}

// Server is the writer of what the server does on its own behalf: cron jobs,
// commands, cascades of a rule, the demo and seeds. It is privileged.
var Server = &Actor{server: true}

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

// AsServer stamps Server on r: the server writes r on its own behalf.
func AsServer(r *core.Record) { Bind(r, Server) }

// Of returns the actor stamped on r: a client's, Server, or nil when nobody
// stamped it (such a write of a guarded collection is refused).
func Of(r *core.Record) *Actor {
	a, _ := r.GetRaw(key).(*Actor)
	return a
}

// Client returns the client actor stamped on r, or nil for a write by the
// server (or not stamped at all).
func Client(r *core.Record) *Actor {
	if a := Of(r); a != nil && !a.server {
		return a
	}
	return nil
}

// IsServer reports whether a is Server.
func (a *Actor) IsServer() bool { return a != nil && a.server }

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
// server, a superuser, or a user with the admin role. Nobody (nil) is not.
func (a *Actor) Privileged() bool {
	return a != nil && (a.server || a.Superuser != "" || a.Role() == "admin")
}

// PriorityRequire runs the check before every other handler of the event,
// the rule transaction included: an unstamped write does not even open it.
const PriorityRequire = -10000

// Require refuses, on collections, every create, update and delete whose
// record carries no actor. It is a bug of the server code that saved it (a
// route, a job that forgot to stamp), not the caller's: the error is an
// internal one (500) that names the collection and wraps ErrNoActor, and
// nothing is written.
func Require(app core.App, collections ...string) {
	check := func(e *core.RecordEvent) error {
		if Of(e.Record) == nil {
			name := e.Record.Collection().Name
			return router.NewInternalServerError(
				fmt.Sprintf("The server tried to write %s without saying who writes; the write was refused and nothing was saved.", name),
				fmt.Errorf("%w: a write of %s (record %q)", ErrNoActor, name, e.Record.Id))
		}
		return e.Next()
	}
	// ids are unique per list: a handler bound with an existing id
	// would replace it, and several packages guard their own collections
	h := func(action string) *hook.Handler[*core.RecordEvent] {
		id := "rapport.actor.require." + action + ":" + strings.Join(collections, ",")
		return &hook.Handler[*core.RecordEvent]{Id: id, Priority: PriorityRequire, Func: check}
	}
	app.OnRecordCreate(collections...).Bind(h("create"))
	app.OnRecordUpdate(collections...).Bind(h("update"))
	app.OnRecordDelete(collections...).Bind(h("delete"))
}

// ErrNoActor is the error of a write that names no writer.
var ErrNoActor = errors.New("no actor stamped (stamp the caller with actor.Bind, or actor.AsServer for a server write)")
