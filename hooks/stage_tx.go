package hooks

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/actor"
	"rapport/internal/violation"
)

// Priorities inside one event: the transaction opens first, the version is
// stamped last before the database write.
const (
	priorityTx      = -1000
	priorityVersion = 1000
)

// ServerFields are the fields only the server writes, per collection.
var ServerFields = map[string][]string{
	"teams":         {"viewers", "ancestors", "version"},
	"customers":     {"team", "last_visit_at", "next_visit_due", "satisfaction_avg", "version"},
	"plans":         {"owner", "approved_budget", "approver", "approved_by", "approved_at", "approval_level", "finance_review", "committed", "spent", "decision_note", "team", "deciders", "version", "label"},
	"visits":        {"rep", "checkin_distance_m", "checkin_result", "source", "team", "survey_rating", "survey_comment", "survey_at", "version"},
	"expenses":      {"rep", "customer", "receipt_sha256", "approver", "approval_level", "finance_review", "flags", "submitted_at", "approved_at", "paid_at", "decision_note", "team", "deciders", "version", "label"},
	"approvals":     {"approver", "level", "final", "version"},
	"budgets":       {"committed", "spent", "period_end", "version"},
	"tier_policies": {"version"},
	"org_settings":  {"version"},
}

// sentKey holds, on a client-created record, the server fields the client
// sent; they are compared with what the server derived just before insert.
const sentKey = "@rapport.sent"

func bindWritePipeline(app core.App) {
	// Every write names its writer; one that does not is refused.
	actor.Require(app, Guarded...)
	bindUnlink(app)
	bindAccountFlows(app)

	// Request hooks only say who is asking; everything else is model-level.
	app.OnRecordCreateRequest().BindFunc(func(e *core.RecordRequestEvent) error {
		actor.Bind(e.Record, actor.FromAuth(e.Auth))
		return e.Next()
	})
	app.OnRecordUpdateRequest().BindFunc(func(e *core.RecordRequestEvent) error {
		actor.Bind(e.Record, actor.FromAuth(e.Auth))
		return e.Next()
	})
	app.OnRecordDeleteRequest().BindFunc(func(e *core.RecordRequestEvent) error {
		actor.Bind(e.Record, actor.FromAuth(e.Auth))
		return e.Next()
	})

	inTx := func(e *core.RecordEvent) error {
		outer := e.App
		// PocketBase runs the after-success hooks (realtime broadcasts among
		// them) with the event's app: it must not be the finished transaction.
		defer func() { e.App = outer }()
		return outer.RunInTransaction(func(tx core.App) error {
			e.App = tx
			if !e.Record.IsNew() {
				if err := current(tx, e.Record); err != nil {
					return err
				}
			}
			return e.Next()
		})
	}

	app.OnRecordCreate(Guarded...).Bind(&hook.Handler[*core.RecordEvent]{Priority: priorityTx, Func: func(e *core.RecordEvent) error {
		if a := actor.Client(e.Record); a != nil {
			// Set aside what the client sent: the server derives every
			// server field from scratch, then compares.
			sent := map[string]any{}
			for _, f := range ServerFields[e.Record.Collection().Name] {
				if v := e.Record.Get(f); !isZero(v) {
					sent[f] = v
					e.Record.Set(f, nil)
				}
			}
			e.Record.Set(sentKey, sent)
		}
		return inTx(e)
	}})
	app.OnRecordUpdate(Guarded...).Bind(&hook.Handler[*core.RecordEvent]{Priority: priorityTx, Func: func(e *core.RecordEvent) error {
		if actor.Client(e.Record) != nil {
			original := e.Record.Original()
			if sent, now := e.Record.GetInt("version"), original.GetInt("version"); sent < now {
				// a whole-record form (the dashboard's) loaded before
				// another write: its server fields are stale, not forged
				return violation.New("version", "read_only", "This record changed since you loaded it (your copy is version %d, it is now at version %d). Reload it and make your change again.", sent, now)
			}
			for _, f := range ServerFields[e.Record.Collection().Name] {
				if !sameValue(e.Record.Get(f), original.Get(f)) {
					return readOnly(f)
				}
			}
		}
		return inTx(e)
	}})
	app.OnRecordDelete(Guarded...).Bind(&hook.Handler[*core.RecordEvent]{Priority: priorityTx, Func: inTx})

	app.OnRecordCreateExecute(Versioned...).Bind(&hook.Handler[*core.RecordEvent]{Priority: priorityVersion, Func: func(e *core.RecordEvent) error {
		e.Record.Set("version", 1)
		if sent, ok := e.Record.GetRaw(sentKey).(map[string]any); ok {
			for f, v := range sent {
				if !sameValue(v, e.Record.Get(f)) {
					return readOnly(f)
				}
			}
		}
		return e.Next()
	}})
	app.OnRecordUpdateExecute(Versioned...).Bind(&hook.Handler[*core.RecordEvent]{Priority: priorityVersion, Func: func(e *core.RecordEvent) error {
		e.Record.Set("version", e.Record.Original().GetInt("version")+1)
		return e.Next()
	}})
}

// current makes r the row as stored now plus this save's own changes. A
// save works from the record as it was read, and the records API reads it
// before the rule transaction starts: a write that committed in between
// would be undone by writing back what was read (a submitted expense back
// to draft, under sums that still count it). The version stamp tells; the
// rules then judge the change against the current row, and a field both
// writes changed keeps this save's value.
func current(tx core.App, r *core.Record) error {
	if r.Collection().Fields.GetByName("version") == nil {
		return nil
	}
	var version int
	err := tx.DB().Select("version").From(r.Collection().Name).Where(dbx.HashExp{"id": r.Id}).Row(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return router.NewNotFoundError("This record was deleted meanwhile.", nil)
	} else if err != nil {
		return err
	}
	read := r.Original()
	if version == read.GetInt("version") {
		return nil
	}
	now, err := tx.FindRecordById(r.Collection(), r.Id)
	if err != nil {
		return err
	}
	own := map[string]any{}
	for _, name := range changedFields(r, read, r.Collection().Fields.FieldNames()) {
		own[name] = r.GetRaw(name)
	}
	for name, v := range now.FieldsData() {
		r.SetRaw(name, v)
	}
	if err := r.PostScan(); err != nil { // the current row becomes the original
		return err
	}
	for name, v := range own {
		r.SetRaw(name, v)
	}
	return nil
}

func readOnly(field string) error {
	return violation.New(field, "read_only", "%s is set by the server and cannot be changed.", field)
}

// changedFields lists the fields of names whose value differs from old.
func changedFields(r, old *core.Record, names []string) []string {
	var changed []string
	for _, f := range names {
		if !sameValue(r.Get(f), old.Get(f)) {
			changed = append(changed, f)
		}
	}
	return changed
}

// sameValue compares two field values as the API would show them.
func sameValue(a, b any) bool {
	if isZero(a) && isZero(b) {
		return true
	}
	ja, okA := a.(types.JSONRaw)
	jb, okB := b.(types.JSONRaw)
	if okA || okB {
		return canonicalJSON(fmt.Sprint(ja)) == canonicalJSON(fmt.Sprint(jb))
	}
	return reflect.DeepEqual(a, b) || fmt.Sprint(a) == fmt.Sprint(b)
}

func canonicalJSON(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case float64:
		return x == 0
	case int:
		return x == 0
	case bool:
		return !x
	case []string:
		return len(x) == 0
	case types.DateTime:
		return x.IsZero()
	case types.JSONRaw:
		s := string(x)
		return s == "" || s == "null" || s == "[]" || s == "{}"
	case types.GeoPoint:
		return x.Lon == 0 && x.Lat == 0
	}
	return false
}
