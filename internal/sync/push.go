package sync

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/forms"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/search"

	"rapport/internal/actor"
	"rapport/internal/input"
	"rapport/internal/violation"
)

const (
	// MaxMutations is the most mutations one push may carry.
	MaxMutations = 1000
	maxPushBytes = 32 << 20
)

// Mutation is one entry of a client's outbox.
type Mutation struct {
	ID         int64          `json:"id"`
	Op         string         `json:"op"` // create, update, delete
	Collection string         `json:"collection"`
	RecordID   string         `json:"recordId"`
	Data       map[string]any `json:"data,omitempty"`
	Base       map[string]any `json:"base,omitempty"`

	badTypes *router.ApiError // fields of the wrong JSON type: its rejection
}

// Result is the outcome of one mutation.
type Result struct {
	ID       int64            `json:"id"`
	Status   string           `json:"status"` // applied, conflict, rejected, lost
	Record   *core.Record     `json:"record,omitempty"`
	Fields   []string         `json:"fields,omitempty"`
	Error    *router.ApiError `json:"error,omitempty"`
	Replayed bool             `json:"replayed,omitempty"`
}

// pushRequest is decoded as a stream, the mutations one by one, so that a
// wrongly typed field rejects its mutation only (readPush, decodeMutation).
type pushRequest struct {
	ClientID      string
	SchemaVersion int
	Mutations     []Mutation
}

// rawMutation is a Mutation before its fields' types are checked.
type rawMutation struct {
	ID         json.RawMessage `json:"id"`
	Op         json.RawMessage `json:"op"`
	Collection json.RawMessage `json:"collection"`
	RecordID   json.RawMessage `json:"recordId"`
	Data       boundedJSON     `json:"data"`
	Base       boundedJSON     `json:"base"`
}

type pushResponse struct {
	LastMutationID int64    `json:"lastMutationId"`
	Results        []Result `json:"results"`
	TokenExpiresIn int64    `json:"tokenExpiresIn"`
	// set on 409 and 503 only
	Code     string `json:"code,omitempty"`
	Expected int64  `json:"expected,omitempty"`
	Message  string `json:"message,omitempty"`
}

var (
	errRollback = errors.New("sync: mutation rejected")
	errAdvanced = errors.New("sync: another push advanced the client")
)

func push(e *core.RequestEvent) error {
	req, err := readPush(e)
	if err != nil {
		return err
	}
	if req.SchemaVersion > 1 {
		return e.BadRequestError("This server speaks sync schema version 1; update the server or use an older app.", nil)
	}
	mutations := req.Mutations
	last, err := bindClient(e, req.ClientID)
	if err != nil {
		return err
	}
	info, err := e.RequestInfo()
	if err != nil {
		return err
	}

	res := pushResponse{Results: make([]Result, 0, len(mutations))}
	rebased := false
	finish := func(status int) error {
		if len(mutations) > 0 {
			// the ids a restore lost right before this push's: reported by
			// the push that rebased past them, and by any copy of it
			lost, err := lostBefore(e.App, req.ClientID, mutations[0].ID, !rebased)
			if err != nil {
				return err
			}
			res.Results = append(lost, res.Results...)
		}
		res.LastMutationID = last
		res.TokenExpiresIn = tokenExpiresIn(e)
		if err := enrichResults(e, res.Results); err != nil {
			return err
		}
		if status == http.StatusServiceUnavailable {
			e.Response.Header().Set("Retry-After", "1")
		}
		return e.JSON(status, res)
	}
	for i := 0; i < len(mutations); {
		m := mutations[i]
		if m.ID <= last { // a replay: the stored original result
			r, err := storedResult(e.App, req.ClientID, m.ID)
			if err != nil {
				return err
			}
			res.Results = append(res.Results, r)
			i++
			continue
		}
		if m.ID > last+1 {
			was := last
			var did bool
			if last, did, err = rebase(e, req.ClientID, last, m.ID); err != nil {
				return err
			}
			rebased = rebased || did
			if last != was {
				continue // rebased, or another push moved on: m again
			}
			res.Code, res.Expected = "out_of_order", last+1
			res.Message = "Mutation " + itoa(m.ID) + " arrived before " + itoa(last+1) + "; push the outbox in order from " + itoa(last+1) + "."
			return finish(http.StatusConflict)
		}
		if full, err := rejectionsFull(e.App, req.ClientID); err != nil {
			return err
		} else if full {
			return tooManyRejections(&res, finish)
		}
		j := i + 1 // the run of consecutive ids from here
		for j < len(mutations) && mutations[j].ID == mutations[j-1].ID+1 {
			j++
		}
		done, err := applyRun(e, info, req.ClientID, mutations[i:j])
		res.Results = append(res.Results, done...)
		i += len(done)
		if len(done) > 0 {
			last = done[len(done)-1].ID
		}
		switch {
		case errors.Is(err, errTooManyRejections):
			return tooManyRejections(&res, finish)
		case errors.Is(err, errAdvanced):
			// a concurrent push of the same outbox got there first: replays
			if last, err = lastMutationID(e.App, req.ClientID); err != nil {
				return err
			}
		case err != nil:
			e.App.Logger().Warn("sync: push interrupted", "client", req.ClientID, "mutation", last+1, "error", err)
			res.Message = "The server is busy; retry shortly. Mutations up to lastMutationId took effect."
			return finish(http.StatusServiceUnavailable)
		}
	}
	return finish(http.StatusOK)
}

// decodeMutation reads one mutation. What makes it unplaceable (an id that
// is not a whole number from 1; one that is not an object, decodeMutations)
// is an error for the whole push; a field of the wrong type, or over its
// bound (tooLarge), is this mutation's rejection.
func decodeMutation(r rawMutation) (Mutation, error) {
	var m Mutation
	if json.Unmarshal(r.ID, &m.ID) != nil || m.ID < 1 {
		return m, errors.New("id must be a whole number from 1 up")
	}
	bad := validation.Errors{}
	for _, f := range []struct {
		name, want string
		raw        json.RawMessage
		to         any
	}{
		{"op", "a string", r.Op, &m.Op},
		{"collection", "a string", r.Collection, &m.Collection},
		{"recordId", "a string", r.RecordID, &m.RecordID},
		{"data", "an object of field values", r.Data.RawMessage, &m.Data},
		{"base", "an object of field values", r.Base.RawMessage, &m.Base},
	} {
		if f.raw != nil && json.Unmarshal(f.raw, f.to) != nil {
			bad[f.name] = validation.NewError(input.InvalidType, f.name+" must be "+f.want+".")
		}
	}
	message := "The mutation has fields of the wrong type; nothing of it was applied."
	if tooLarge(&m, r, bad) {
		message = "The mutation is larger than the sync limits allow; nothing of it was applied."
	}
	if len(bad) > 0 {
		m.badTypes = router.NewBadRequestError(message, bad)
	}
	return m, nil
}

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
// Each mutation runs at most twice, and once when nothing is rejected.
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
			record, fields, err := execute(tx, info, e.Auth, clientID, m)
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

// execute applies m as the user, through the same events and API rules as
// the records API.
func execute(tx core.App, info *core.RequestInfo, auth *core.Record, clientID string, m Mutation) (*core.Record, []string, error) {
	if m.badTypes != nil {
		return nil, nil, m.badTypes
	}
	if !isSynced(m.Collection) {
		return nil, nil, violation.New("collection", "unknown_collection", "%q cannot be written through sync; synced collections are %s.", m.Collection, strings.Join(Collections, ", "))
	}
	coll, err := tx.FindCachedCollectionByNameOrId(m.Collection)
	if err != nil {
		return nil, nil, violation.New("collection", "unknown_collection", "%q does not exist.", m.Collection)
	}
	mi := *info
	mi.Body = m.Data
	data := make(map[string]any, len(m.Data))
	for k, v := range m.Data {
		if k != "id" {
			data[k] = v
		}
	}
	if m.Op != "delete" { // a delete's data is ignored
		if err := input.Check(coll, data); err != nil {
			return nil, nil, err
		}
	}
	who := &actor.Actor{User: auth, ClientID: clientID}
	switch m.Op {
	case "create":
		mi.Method = http.MethodPost
		if coll.CreateRule == nil {
			return nil, nil, router.NewForbiddenError("Only superusers can perform this action.", nil)
		}
		if m.RecordID == "" {
			return nil, nil, violation.New("recordId", "validation_required", "A create needs the record id the client generated.")
		}
		r := core.NewRecord(coll)
		r.Id = m.RecordID
		form := forms.NewRecordUpsert(tx, r)
		form.Load(data)
		switch ok, err := createAllowed(tx, &mi, coll, r); {
		case err != nil:
			return nil, nil, err // a busy database is a retry, not a rejection
		case !ok:
			return nil, nil, router.NewBadRequestError("Failed to create record.", nil)
		}
		actor.Bind(r, who)
		return r, nil, form.Submit()
	case "update":
		mi.Method = http.MethodPatch
		r, err := accessible(tx, &mi, coll, coll.UpdateRule, m.RecordID)
		if err != nil {
			return nil, nil, err
		}
		fields := conflicts(r, data, m.Base)
		if len(data) == 0 {
			return r, fields, nil
		}
		form := forms.NewRecordUpsert(tx, r)
		form.Load(data)
		actor.Bind(r, who)
		return r, fields, form.Submit()
	case "delete":
		mi.Method = http.MethodDelete
		r, err := accessible(tx, &mi, coll, coll.DeleteRule, m.RecordID)
		if err != nil {
			return nil, nil, err
		}
		actor.Bind(r, who)
		return nil, nil, tx.Delete(r)
	}
	return nil, nil, violation.New("op", "invalid_op", "op must be create, update or delete, not %q.", m.Op)
}

// accessible loads a record the user may change under rule, in one query
// like the records API; anything else answers 404.
func accessible(tx core.App, info *core.RequestInfo, coll *core.Collection, rule *string, id string) (*core.Record, error) {
	if rule == nil {
		return nil, router.NewForbiddenError("Only superusers can perform this action.", nil)
	}
	r, err := tx.FindRecordById(coll, id, func(q *dbx.SelectQuery) error {
		if *rule == "" {
			return nil
		}
		resolver := core.NewRecordFieldResolver(tx, coll, info, true)
		expr, err := search.FilterData(*rule).BuildExpr(resolver)
		if err != nil {
			return err
		}
		q.AndWhere(expr)
		return resolver.UpdateQuery(q)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, router.NewNotFoundError("", nil)
	}
	return r, err
}

// createAllowed evaluates the create rule against the new record the way
// the records API does: the record's values as a one-row CTE.
func createAllowed(tx core.App, info *core.RequestInfo, coll *core.Collection, r *core.Record) (bool, error) {
	if *coll.CreateRule == "" {
		return true, nil
	}
	export, err := r.DBExport(tx)
	if err != nil {
		return false, err
	}
	// columns in a fixed order: the same SQL text each time, so the
	// statement is prepared once per connection (internal/dbconn)
	params := dbx.Params{}
	selects := make([]string, 0, len(export))
	for _, k := range slices.Sorted(maps.Keys(export)) {
		params["__sync_"+k] = export[k]
		selects = append(selects, "{:__sync_"+k+"} AS [["+k+"]]")
	}
	dummy := *coll
	dummy.Id += "__sync_create"
	dummy.Name += "__sync_create"
	q := tx.DB().Select("(1)").
		PreFragment("WITH {{" + dummy.Name + "}} AS (SELECT " + strings.Join(selects, ",") + ")").
		From(dummy.Name).AndBind(params)
	resolver := core.NewRecordFieldResolver(tx, &dummy, info, true)
	expr, err := search.FilterData(*dummy.CreateRule).BuildExpr(resolver)
	if err != nil {
		return false, err
	}
	q.AndWhere(expr)
	if err := resolver.UpdateQuery(q); err != nil {
		return false, err
	}
	var exists int
	err = q.Limit(1).Row(&exists)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return exists > 0, err
}

// conflicts drops from data the fields someone else changed since the
// client's base, and returns their names.
func conflicts(r *core.Record, data, base map[string]any) []string {
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
