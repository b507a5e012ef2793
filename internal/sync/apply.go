package sync

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/forms"
	"github.com/pocketbase/pocketbase/tools/router"

	"rapport/internal/actor"
	"rapport/internal/clientwrite"
	"rapport/internal/violation"
)

// txChunk bounds the mutations applied in one transaction, so that a big
// push holds SQLite's single writer for a short while at a time.
const txChunk = 100

// applyRun applies a run of consecutive mutations, the first being the
// client's next. Each transaction applies up to txChunk of them together
// with their stored results and the advance of lastMutationId: one commit
// for many mutations, and after a crash a prefix has taken effect.
//
// A rejected mutation aborts its transaction, so nothing of it survives,
// not even an after-commit event of a cascade; the mutations before it are
// then applied again in a fresh transaction that also stores the rejection.
// Each mutation runs once when nothing is rejected, and twice when one is,
// unless another writer changes what the re-run sees (it then starts over).
//
// It returns the results of what was committed, and an error when it
// stopped early: transient, errAdvanced, or errTooManyRejections.
func applyRun(e *core.RequestEvent, info *core.RequestInfo, clientID string, ms []Mutation) ([]Result, error) {
	var out []Result
	for len(ms) > 0 {
		n := min(len(ms), txChunk)
		results, failAt, ruleErr, err := runTx(e, info, clientID, ms[:n], nil)
		if err != nil {
			return out, err
		}
		if failAt < 0 {
			out = append(out, results...)
			ms = ms[n:]
			continue
		}
		stop := ruleErr
		if !isTransient(ruleErr) {
			switch full, err := rejectionsFull(e.App, clientID); {
			case err != nil:
				return out, err
			case full: // not stored: the mutation waits for a dismissal
				stop = errTooManyRejections
			default:
				stop = nil
			}
		}
		if stop != nil {
			// the mutations before it still take effect, then the push stops
			if failAt > 0 {
				if results, again, _, err := runTx(e, info, clientID, ms[:failAt], nil); err == nil && again < 0 {
					out = append(out, results...)
				}
			}
			return out, stop
		}
		rejection := &rejectedResult{m: ms[failAt], r: Result{ID: ms[failAt].ID, Status: "rejected", Error: apiError(ruleErr, ms[failAt].Op)}}
		results, again, _, err := runTx(e, info, clientID, ms[:failAt], rejection)
		if err != nil {
			return out, err
		}
		if again >= 0 {
			continue // another writer changed things in between: start over
		}
		out = append(append(out, results...), rejection.r)
		ms = ms[failAt+1:]
	}
	return out, nil
}

type rejectedResult struct {
	m Mutation
	r Result
}

// runTx applies ms in one transaction and then stores rej, the rejection of
// the mutation right after ms, if given. When a mutation fails, everything
// is rolled back and the failure's index and error are reported.
func runTx(e *core.RequestEvent, info *core.RequestInfo, clientID string, ms []Mutation, rej *rejectedResult) (results []Result, failAt int, ruleErr error, err error) {
	failAt = -1
	err = e.App.RunInTransaction(func(tx core.App) error {
		results = results[:0]
		first := ms
		if len(ms) == 0 {
			first = []Mutation{rej.m}
		}
		if err := expectNext(tx, clientID, first[0].ID); err != nil {
			return err
		}
		for i, m := range ms {
			who := &actor.Actor{User: e.Auth, ClientID: clientID}
			record, fields, err := applyMutation(tx, info, who, m)
			if err != nil {
				failAt, ruleErr = i, err
				return errRollback
			}
			r := Result{ID: m.ID, Status: "applied", Record: record, Fields: fields}
			if len(fields) > 0 {
				r.Status = "conflict"
			}
			results = append(results, r)
		}
		if rej != nil {
			return settle(tx, clientID, append(slices.Clip(ms), rej.m), append(slices.Clip(results), rej.r))
		}
		return settle(tx, clientID, ms, results)
	})
	if errors.Is(err, errRollback) {
		err = nil
	}
	return results, failAt, ruleErr, err
}

// applyMutation applies m as its user (who), through the one client-write
// entry (clientwrite: the values as sent checked, then the record loaded
// under the collection's API rule, then stamped) and the same model events
// as the records API. It returns the record and the fields the rebase on
// m's base kept at the server's value.
func applyMutation(tx core.App, info *core.RequestInfo, who *actor.Actor, m Mutation) (*core.Record, []string, error) {
	coll, err := target(tx, m)
	if err != nil {
		return nil, nil, err
	}
	mi := *info // per mutation: its method and body, as the records API sees a request's
	data := values(m)
	switch m.Op {
	case "create":
		mi.Method = http.MethodPost
		var form *forms.RecordUpsert
		r, err := clientwrite.Admit(coll, who, data, false, func() (r *core.Record, err error) {
			r, form, err = clientwrite.New(tx, &mi, coll, m.RecordID, data)
			return r, err
		})
		if err != nil {
			return nil, nil, err
		}
		return r, nil, form.Submit()
	case "update":
		mi.Method = http.MethodPatch
		r, err := clientwrite.Admit(coll, who, data, false, func() (*core.Record, error) {
			return clientwrite.Find(tx, &mi, coll, coll.UpdateRule, m.RecordID, data)
		})
		if err != nil {
			return nil, nil, err
		}
		fields := rebaseOnBase(r, data, m.Base)
		return r, fields, saveRebased(tx, r, data)
	case "delete": // its data is ignored
		mi.Method = http.MethodDelete
		r, err := clientwrite.Admit(coll, who, nil, false, func() (*core.Record, error) {
			return clientwrite.Find(tx, &mi, coll, coll.DeleteRule, m.RecordID, nil)
		})
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, tx.Delete(r)
	}
	_, err = clientwrite.Admit(coll, who, data, false, func() (*core.Record, error) {
		return nil, violation.New("op", "invalid_op", "op must be create, update or delete, not %q.", m.Op)
	})
	return nil, nil, err
}

// target is the synced collection m writes; a mutation whose fields had
// the wrong JSON types (decodeMutation) is refused first.
func target(tx core.App, m Mutation) (*core.Collection, error) {
	if m.badTypes != nil {
		return nil, m.badTypes
	}
	if !isSynced(m.Collection) {
		return nil, violation.New("collection", "unknown_collection", "%q cannot be written through sync; synced collections are %s.", m.Collection, strings.Join(Collections, ", "))
	}
	coll, err := tx.FindCachedCollectionByNameOrId(m.Collection)
	if err != nil {
		return nil, violation.New("collection", "unknown_collection", "%q does not exist.", m.Collection)
	}
	return coll, nil
}

// values are the field values m sets: its data without "id" (a create's
// id is its recordId).
func values(m Mutation) map[string]any {
	data := make(map[string]any, len(m.Data))
	for k, v := range m.Data {
		if k != "id" {
			data[k] = v
		}
	}
	return data
}

// saveRebased saves what is left of an update's data after the rebase on
// its base; nothing when nothing is.
func saveRebased(tx core.App, r *core.Record, data map[string]any) error {
	if len(data) == 0 {
		return nil
	}
	form := forms.NewRecordUpsert(tx, r)
	form.Load(data)
	return form.Submit()
}

// rebaseOnBase rebases an update on the values its client saw (base): a
// field someone else changed since keeps the server's value (it is dropped
// from data), and its name is returned; without base the client's values
// win.
func rebaseOnBase(r *core.Record, data, base map[string]any) []string {
	var fields []string
	for name, sent := range data {
		b, ok := base[name]
		field := r.Collection().Fields.GetByName(name)
		if !ok || field == nil {
			continue
		}
		current := r.Get(name)
		if holds(r, field, current, b) || holds(r, field, current, sent) {
			continue
		}
		fields = append(fields, name)
		delete(data, name)
	}
	return fields
}

// holds tells whether current is the client's value v read as the field
// reads input: "4" is 4, and a date in another layout the same instant.
func holds(r *core.Record, field core.Field, current, v any) bool {
	if prepared, err := field.PrepareValue(r, v); err == nil {
		v = prepared
	}
	return canonical(current) == canonical(v)
}

func canonical(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var x any
	if json.Unmarshal(raw, &x) != nil {
		return string(raw)
	}
	switch t := x.(type) {
	case nil:
		return `""`
	case []any:
		if len(t) == 0 {
			return `""`
		}
	case float64:
		if t == 0 {
			return `""`
		}
	case bool:
		if !t {
			return `""`
		}
	}
	out, _ := json.Marshal(x)
	return string(out)
}

func apiError(err error, op string) *router.ApiError {
	var apiErr *router.ApiError
	if errors.As(err, &apiErr) {
		return apiErr
	}
	return router.NewBadRequestError("Failed to "+op+" record.", err)
}

// isTransient tells failures worth a retry (the database was busy, the
// request was cancelled) from rejections.
func isTransient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var apiErr *router.ApiError
	if errors.As(err, &apiErr) {
		return false
	}
	s := err.Error()
	for _, needle := range []string{"database is locked", "SQLITE_BUSY", "database table is locked", "disk I/O", "database is closed", "interrupted"} {
		if strings.Contains(s, needle) {
			return true
		}
	}
	return false
}

// enrichResults projects the returned records as the records API would.
func enrichResults(e *core.RequestEvent, results []Result) error {
	groups := map[string][]*core.Record{}
	for _, r := range results {
		if r.Record != nil {
			name := r.Record.Collection().Name
			groups[name] = append(groups[name], r.Record)
		}
	}
	for _, records := range groups {
		if err := apis.EnrichRecords(e, records); err != nil {
			return err
		}
	}
	return nil
}
