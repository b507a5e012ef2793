package hooks

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/audit"
	"rapport/internal/catalog"
	"rapport/internal/violation"
)

// unaudited are fields never copied into the log: bookkeeping and secrets.
var unaudited = []string{"id", "created", "updated", "password", "tokenKey"}

// Every write of an audited collection (catalog Audited; of users only the
// fields in adminFields) leaves an entry in the audit chain, once the row
// is written, in the write's transaction (StageAudit).
func bindAudit(app core.App) {
	bind(app.OnRecordCreate(catalog.Audited...), StageAudit, "rapport.audit", auditCreate)
	bind(app.OnRecordUpdate(catalog.Audited...), StageAudit, "rapport.audit", auditUpdate)
	bind(app.OnRecordDelete(catalog.Audited...), StageAudit, "rapport.audit", auditDelete)

	// The log itself is append-only through audit.Append: no API write
	// (superusers included) and no model write by server code.
	bind(app.OnRecordCreate("audit_log"), StageLocked, "rapport.audit_log.locked", appendOnly)
	bind(app.OnRecordUpdate("audit_log"), StageLocked, "rapport.audit_log.locked", appendOnly)
	bind(app.OnRecordDelete("audit_log"), StageLocked, "rapport.audit_log.locked", appendOnly)
}

func auditCreate(e *core.RecordEvent) error {
	if err := e.Next(); err != nil {
		return err
	}
	return writeAudit(e, "create", nil)
}

func auditUpdate(e *core.RecordEvent) error {
	original := e.Record.Original()
	if err := e.Next(); err != nil {
		return err
	}
	return writeAudit(e, "update", original)
}

func auditDelete(e *core.RecordEvent) error {
	if err := e.Next(); err != nil {
		return err
	}
	return writeAudit(e, "delete", e.Record)
}

func appendOnly(e *core.RecordEvent) error {
	if actor.Client(e.Record) != nil {
		return violation.Forbidden("collection", "forbidden", "The audit log is written by the server only; it cannot be changed through the API.")
	}
	return violation.New("collection", "locked", "The audit log is append-only; entries are written by the audit chain and never changed.")
}

// writeAudit appends the entry of a finished write: old is the record before
// an update or delete (nil for create).
func writeAudit(e *core.RecordEvent, action string, old *core.Record) error {
	r := e.Record
	isUser := r.Collection().Name == "users"
	changes := map[string][2]any{}
	for _, f := range r.Collection().Fields {
		name := f.GetName()
		if slices.Contains(unaudited, name) || (isUser && !slices.Contains(adminFields, name)) {
			continue
		}
		var before, after any
		switch action {
		case "create":
			after = r.Get(name)
		case "update":
			before, after = old.Get(name), r.Get(name)
		case "delete":
			before = old.Get(name)
		}
		if sameValue(before, after) {
			continue
		}
		changes[name] = [2]any{before, after}
	}
	if action == "update" && len(changes) == 0 {
		return nil
	}
	entry := audit.Entry{Action: action, Collection: r.Collection().Name, RecordID: r.Id, Changes: changes}
	if a := writer(r); a != nil {
		entry.Actor, entry.ActorSuperuser, entry.ClientID = a.UserID(), a.Superuser, a.ClientID
	}
	return audit.Append(e.App, entry)
}

// causeKey (custom data, never persisted) carries, on a server write made
// because of a client's write — an expense moved by an approval, the sums an
// expense changes —, the actor of that write: the audit entry names them,
// while the server write's own rules still treat it as the server's.
const causeKey = "@rapport.cause"

// causedBy makes r a server write (a cascade) and stamps on it the actor
// behind the write of cause.
func causedBy(r, cause *core.Record) {
	actor.AsServer(r)
	if a := writer(cause); a != nil {
		r.Set(causeKey, a)
	}
}

// writer is whom a write of r is audited as: its actor, or its cause's.
func writer(r *core.Record) *actor.Actor {
	if a := actor.Client(r); a != nil {
		return a
	}
	a, _ := r.GetRaw(causeKey).(*actor.Actor)
	return a
}
