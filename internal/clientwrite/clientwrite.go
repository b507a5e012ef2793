// Package clientwrite is the one entry of a client's write, whichever path
// it came by: the records API (REST, batch, dashboard), whose request hooks
// call Request, and the sync push, which calls Admit per mutation. Both say
// who writes (internal/actor) and check the values as the client sent them
// (internal/input, exact numbers) before PocketBase saves; every business
// rule after that hangs on the record's model events, whatever the path.
//
// A path of its own (the push) also evaluates the collection's API rules
// itself, as the records API would: Find for an update or a delete,
// MayCreate for a create.
package clientwrite

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/input"
)

// Admit is a client's write entering the server: it checks data (the
// values as sent, field → value, modifiers included; nil for a delete)
// against c's fields, then loads the record the write saves — the new one,
// or the one the caller may change under c's rule — and stamps who writes
// it. A value of the wrong type is 400 invalid_type before the record is
// looked up: such a write reveals the schema, never whether a record
// exists. withHidden also checks hidden fields (a superuser may set them).
func Admit(c *core.Collection, who *actor.Actor, data map[string]any, withHidden bool, load func() (*core.Record, error)) (*core.Record, error) {
	if err := input.Check(c, data, withHidden); err != nil {
		return nil, err
	}
	r, err := load()
	if err != nil {
		return nil, err
	}
	actor.Bind(r, who)
	return r, nil
}

// Request is the records API's request hook for creates, updates and
// deletes: the caller writes e.Record, which PocketBase has already loaded
// under the collection's rule. A delete's body is not read.
func Request(e *core.RecordRequestEvent) error {
	info, err := e.RequestInfo()
	if err != nil {
		return err
	}
	var data map[string]any
	if e.Request.Method != http.MethodDelete {
		if data, err = input.Sent(e); err != nil {
			return err
		}
	}
	loaded := func() (*core.Record, error) { return e.Record, nil }
	if _, err := Admit(e.Collection, actor.FromAuth(e.Auth), data, info.HasSuperuserAuth(), loaded); err != nil {
		return err
	}
	return e.Next()
}
