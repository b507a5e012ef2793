package sync

import (
	"encoding/json"
	"errors"
	"net/http"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"rapport/internal/input"
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

// push answers POST /api/sync/push. Each mutation takes one of the
// protocol's three ways, in id order: a replay (an id the client already
// pushed) gets its stored result back; an id past a gap may rebase the
// install past what a restored backup lost; the client's next id and those
// after it are applied through the records API's rules.
func push(e *core.RequestEvent) error {
	req, err := readPush(e)
	if err != nil {
		return err
	}
	if req.SchemaVersion > 1 {
		return e.BadRequestError("This server speaks sync schema version 1; update the server or use an older app.", nil)
	}
	p := &pushing{e: e, clientID: req.ClientID, res: pushResponse{Results: make([]Result, 0, len(req.Mutations))}}
	if p.last, err = bindClient(e, req.ClientID); err != nil {
		return err
	}
	if p.info, err = e.RequestInfo(); err != nil {
		return err
	}
	status, err := p.run(req.Mutations)
	if err != nil {
		return err
	}
	return p.answer(status, req.Mutations)
}

// pushing is one push under way.
type pushing struct {
	e        *core.RequestEvent
	info     *core.RequestInfo
	clientID string
	last     int64 // the client's lastMutationId as far as this push knows
	rebased  bool  // this push moved the install past mutations a restore lost
	res      pushResponse
}

// run takes the mutations in order and returns the answer's status.
func (p *pushing) run(ms []Mutation) (int, error) {
	for i := 0; i < len(ms); {
		switch id := ms[i].ID; {
		case id <= p.last:
			if err := p.replay(id); err != nil {
				return 0, err
			}
			i++
		case id > p.last+1:
			if moved, err := p.rebaseTo(id); err != nil || !moved {
				return http.StatusConflict, err
			}
		default:
			n, status, err := p.apply(ms[i:])
			if status != 0 || err != nil {
				return status, err
			}
			i += n
		}
	}
	return http.StatusOK, nil
}

// replay answers an id already processed with its stored original result:
// nothing runs again (exactly once).
func (p *pushing) replay(id int64) error {
	r, err := storedResult(p.e.App, p.clientID, id)
	p.res.Results = append(p.res.Results, r)
	return err
}

// rebaseTo handles an id past the client's next one: after a restore the
// install moves past the ids the restore lost, and a concurrent push may
// have moved it on. Otherwise the push stops with out_of_order.
func (p *pushing) rebaseTo(id int64) (bool, error) {
	was := p.last
	last, did, err := rebase(p.e, p.clientID, p.last, id)
	if err != nil {
		return false, err
	}
	p.last, p.rebased = last, p.rebased || did
	if last != was {
		return true, nil // rebased, or another push moved on: this id again
	}
	p.res.Code, p.res.Expected = "out_of_order", last+1
	p.res.Message = "Mutation " + itoa(id) + " arrived before " + itoa(last+1) + "; push the outbox in order from " + itoa(last+1) + "."
	return false, nil
}

// apply applies the run of consecutive ids at the start of ms, the first
// being the client's next, and tells how many it settled; a status when
// the push stops there.
func (p *pushing) apply(ms []Mutation) (int, int, error) {
	if full, err := rejectionsFull(p.e.App, p.clientID); err != nil {
		return 0, 0, err
	} else if full {
		return 0, p.tooManyRejections(), nil
	}
	j := 1
	for j < len(ms) && ms[j].ID == ms[j-1].ID+1 {
		j++
	}
	done, err := applyRun(p.e, p.info, p.clientID, ms[:j])
	p.res.Results = append(p.res.Results, done...)
	if len(done) > 0 {
		p.last = done[len(done)-1].ID
	}
	switch {
	case errors.Is(err, errTooManyRejections):
		return len(done), p.tooManyRejections(), nil
	case errors.Is(err, errAdvanced):
		// a concurrent push of the same outbox got there first: replays
		p.last, err = lastMutationID(p.e.App, p.clientID)
		return len(done), 0, err
	case err != nil:
		p.e.App.Logger().Warn("sync: push interrupted", "client", p.clientID, "mutation", p.last+1, "error", err)
		p.res.Message = "The server is busy; retry shortly. Mutations up to lastMutationId took effect."
		return len(done), http.StatusServiceUnavailable, nil
	}
	return len(done), 0, nil
}

// answer sends the results with the client's lastMutationId. The ids a
// restore lost right before this push's are reported first: by the push
// that rebased past them, and by any copy of it.
func (p *pushing) answer(status int, ms []Mutation) error {
	if len(ms) > 0 {
		lost, err := lostBefore(p.e.App, p.clientID, ms[0].ID, !p.rebased)
		if err != nil {
			return err
		}
		p.res.Results = append(lost, p.res.Results...)
	}
	p.res.LastMutationID = p.last
	p.res.TokenExpiresIn = tokenExpiresIn(p.e)
	if err := enrichResults(p.e, p.res.Results); err != nil {
		return err
	}
	if status == http.StatusServiceUnavailable {
		p.e.Response.Header().Set("Retry-After", "1")
	}
	return p.e.JSON(status, p.res)
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
		name string
		raw  json.RawMessage
		to   *string
	}{{"op", r.Op, &m.Op}, {"collection", r.Collection, &m.Collection}, {"recordId", r.RecordID, &m.RecordID}} {
		if f.raw != nil && json.Unmarshal(f.raw, f.to) != nil {
			bad[f.name] = validation.NewError(input.InvalidType, f.name+" must be a string.")
		}
	}
	for _, f := range []struct {
		name string
		b    boundedJSON
		to   *map[string]any
	}{{"data", r.Data, &m.Data}, {"base", r.Base, &m.Base}} {
		*f.to = f.b.fields
		if f.b.notObject {
			bad[f.name] = validation.NewError(input.InvalidType, f.name+" must be an object of field values.")
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
