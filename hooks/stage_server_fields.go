package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/catalog"
	"rapport/internal/violation"
)

// Server fields (catalog ServerFields) are the server's to derive. A
// client's create may send them only with the value the server derives (an
// offline phone sends back what it was given); a client's update may not
// change them at all.
func bindServerFields(app core.App) {
	bind(app.OnRecordCreate(catalog.Guarded...), StageServerFields, "rapport.server_fields", setAsideSent)
	bind(app.OnRecordUpdate(catalog.Guarded...), StageServerFields, "rapport.server_fields", refuseServerFields)
	bind(app.OnRecordCreateExecute(catalog.Versioned...), StageSentSame, "rapport.server_fields.sent", sentAsDerived)
}

// sentKey holds, on a client-created record, the server fields the client
// sent: set aside (setAsideSent) before the transaction, compared with what
// the server derived (sentAsDerived) just before insert.
const sentKey = "@rapport.sent"

// setAsideSent clears the server fields a client sent with a create, so
// that the server derives every one from scratch, and keeps them under
// sentKey.
func setAsideSent(e *core.RecordEvent) error {
	if actor.Client(e.Record) != nil {
		sent := map[string]any{}
		for _, f := range serverFields(e.Record) {
			if v := e.Record.Get(f); !isZero(v) {
				sent[f] = v
				e.Record.Set(f, nil)
			}
		}
		e.Record.Set(sentKey, sent)
	}
	return e.Next()
}

// refuseServerFields refuses a client's update that changes a server
// field, before the transaction opens (and before current() moves the
// record to the row as stored now).
func refuseServerFields(e *core.RecordEvent) error {
	if actor.Client(e.Record) != nil {
		original := e.Record.Original()
		if sent, now := e.Record.GetInt("version"), original.GetInt("version"); sent < now {
			// a whole-record form (the dashboard's) loaded before
			// another write: its server fields are stale, not forged
			return violation.New("version", "read_only", "This record changed since you loaded it (your copy is version %d, it is now at version %d). Reload it and make your change again.", sent, now)
		}
		for _, f := range serverFields(e.Record) {
			if !sameValue(e.Record.Get(f), original.Get(f)) {
				return readOnly(f)
			}
		}
	}
	return e.Next()
}

// sentAsDerived refuses a create whose client sent a server field with a
// value other than the one derived (the version included: it runs after
// the version stamp).
func sentAsDerived(e *core.RecordEvent) error {
	if sent, ok := e.Record.GetRaw(sentKey).(map[string]any); ok {
		for f, v := range sent {
			if !sameValue(v, e.Record.Get(f)) {
				return readOnly(f)
			}
		}
	}
	return e.Next()
}

// serverFields are the server fields of r's collection.
func serverFields(r *core.Record) []string {
	if c := catalog.Get(r.Collection().Name); c != nil {
		return c.ServerFields
	}
	return nil
}

func readOnly(field string) error {
	return violation.New(field, "read_only", "%s is set by the server and cannot be changed.", field)
}
