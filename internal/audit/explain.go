package audit

import (
	"bytes"
	"encoding/json"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Explain makes the log account for every current value of r, a record
// written outside the record hooks (migrations' seeded defaults and the
// fields later migrations add or rewrite): each field whose value differs
// from the newest one the log gives it gets that change, as the server's,
// in one entry (`create` when the log has none for r). A record only ever
// written through the hooks needs nothing, so calling it again is free.
func Explain(app core.App, r *core.Record) error {
	var logged []string
	err := app.DB().Select("changes").From("audit_log").
		Where(dbx.HashExp{"collection": r.Collection().Name, "record_id": r.Id}).
		OrderBy("seq").Column(&logged)
	if err != nil {
		return err
	}
	newest := map[string]json.RawMessage{}
	for _, raw := range logged {
		var changes map[string][2]json.RawMessage
		if json.Unmarshal([]byte(raw), &changes) == nil {
			for f, c := range changes {
				newest[f] = c[1]
			}
		}
	}
	entry := Entry{Action: "create", Collection: r.Collection().Name, RecordID: r.Id, Changes: map[string][2]any{}}
	if len(logged) > 0 {
		entry.Action = "update"
	}
	for _, f := range r.Collection().Fields {
		name := f.GetName()
		if name == "id" || name == "created" || name == "updated" {
			continue
		}
		current := r.Get(name)
		last, ok := newest[name]
		if ok && sameJSON(last, current) {
			continue
		}
		var before any
		if ok {
			before = last
		}
		entry.Changes[name] = [2]any{before, current}
	}
	if len(entry.Changes) == 0 {
		return nil
	}
	return Append(app, entry)
}

// sameJSON reports whether a logged value and a current one encode alike.
func sameJSON(logged json.RawMessage, current any) bool {
	raw, err := json.Marshal(current)
	if err != nil {
		return false
	}
	a, errA := canonical(logged)
	b, errB := canonical(raw)
	return errA == nil && errB == nil && bytes.Equal(a, b)
}
