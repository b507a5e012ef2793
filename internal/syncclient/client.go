// Package syncclient is the reference client of the sync protocol v1
// (docs/sync.md): a local store of what the user may see, an outbox of
// mutations with monotonic ids, and the push/pull loop. The tests and the
// benchmark drive the server through it; app developers can read it as the
// client algorithm in code.
//
// The store only ever holds server state; local edits live in the outbox
// and View overlays them, so a rejected mutation simply disappears.
package syncclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	gosync "sync"

	"github.com/pocketbase/pocketbase/tools/router"

	"rapport/internal/sync"
)

// Record is a record as the records API returns it.
type Record = map[string]any

// Client is one app install of one user.
type Client struct {
	BaseURL   string
	Token     string
	ID        string                                           // clientId
	Do        func(*http.Request) (*http.Response, error)      // the transport (default http.DefaultClient.Do)
	NewID     func() string                                    // record ids for creates (default random)
	PushLimit int                                              // mutations per push (default 100)
	PullLimit int                                              // changes per pull page (default 500)
	OnChange  func(collection, id string, r Record, op string) // observes every applied pull change

	mu             gosync.Mutex
	store          map[string]map[string]Record
	outbox         []sync.Mutation
	sent           map[int64]sync.Mutation // acknowledged, kept to re-queue if a restore loses them
	nextID         int64
	cursor         string
	lastMutationID int64
	outcomes       map[int64]Result
	rejected       []Rejected
	tokenExpiresIn int64
}

// Result is the server's outcome of one mutation.
type Result struct {
	ID       int64            `json:"id"`
	Status   string           `json:"status"` // applied, conflict, rejected, lost
	Record   Record           `json:"record,omitempty"`
	Fields   []string         `json:"fields,omitempty"`
	Error    *router.ApiError `json:"error,omitempty"`
	Replayed bool             `json:"replayed,omitempty"`
}

// Rejected is an unresolved rejected mutation reported by pull.
type Rejected struct {
	sync.Mutation
	Error *router.ApiError `json:"error"`
}

// New is a client for the user whose token is given.
func New(baseURL, token, clientID string) *Client {
	return &Client{BaseURL: baseURL, Token: token, ID: clientID, store: map[string]map[string]Record{},
		outcomes: map[int64]Result{}, sent: map[int64]sync.Mutation{}}
}

// ErrRetry wraps a failure after which the same call should simply be
// retried later (network, 503, out-of-order delivery).
var ErrRetry = errors.New("syncclient: retry later")

// ErrTooManyRejections: the install holds the most unresolved rejections
// it may (push answered 429); Dismiss some of Rejected, then push again.
var ErrTooManyRejections = errors.New("syncclient: too many unresolved rejections")

// Create queues the creation of a record and returns its id.
func (c *Client) Create(collection string, data Record) string {
	id := c.newID()
	c.enqueue(sync.Mutation{Op: "create", Collection: collection, RecordID: id, Data: maps.Clone(data)})
	return id
}

// Update queues a change of the given fields; base is what the client sees
// now, so the server can tell someone else's concurrent change.
func (c *Client) Update(collection, id string, data Record) {
	base := Record{}
	if current := c.View(collection, id); current != nil {
		for f := range data {
			if v, ok := current[f]; ok {
				base[f] = v
			}
		}
	}
	c.enqueue(sync.Mutation{Op: "update", Collection: collection, RecordID: id, Data: maps.Clone(data), Base: base})
}

// Delete queues the deletion of a record.
func (c *Client) Delete(collection, id string) {
	c.enqueue(sync.Mutation{Op: "delete", Collection: collection, RecordID: id})
}

func (c *Client) enqueue(m sync.Mutation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	m.ID = c.nextID
	c.outbox = append(c.outbox, m)
}

func (c *Client) newID() string {
	if c.NewID != nil {
		return c.NewID()
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Store returns a copy of the synced data: collection → id → record.
func (c *Client) Store() map[string]map[string]Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]map[string]Record{}
	for coll, records := range c.store {
		out[coll] = maps.Clone(records)
	}
	return out
}

// View is a record as the user sees it on the device: the server state with
// the pending outbox applied on top (nil when absent or deleted).
func (c *Client) View(collection, id string) Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	var r Record
	if s := c.store[collection][id]; s != nil {
		r = maps.Clone(s)
	}
	for _, m := range c.outbox {
		if m.Collection != collection || m.RecordID != id {
			continue
		}
		switch m.Op {
		case "create":
			r = maps.Clone(m.Data)
			r["id"] = id
		case "update":
			if r != nil {
				maps.Copy(r, m.Data)
			}
		case "delete":
			r = nil
		}
	}
	return r
}

// Pending is the number of mutations not yet acknowledged by the server.
func (c *Client) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.outbox)
}

// Outcomes are the results the server gave, by mutation id.
func (c *Client) Outcomes() map[int64]Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.outcomes)
}

// Issued is the number of mutations created so far (ids 1..Issued).
func (c *Client) Issued() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nextID
}

// Rejected are the unresolved rejections pulled and not dismissed yet.
func (c *Client) Rejected() []Rejected {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Rejected(nil), c.rejected...)
}

// TokenExpiresIn is the auth token's remaining lifetime (seconds) at the
// last response: refresh the token well before it reaches zero.
func (c *Client) TokenExpiresIn() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokenExpiresIn
}

// Sync pushes the whole outbox, then pulls until up to date.
func (c *Client) Sync(ctx context.Context) error {
	if err := c.Push(ctx); err != nil {
		return err
	}
	return c.Pull(ctx)
}

type pushResponse struct {
	LastMutationID int64    `json:"lastMutationId"`
	Results        []Result `json:"results"`
	TokenExpiresIn int64    `json:"tokenExpiresIn"`
	Code           string   `json:"code"`
	Expected       int64    `json:"expected"`
	Message        string   `json:"message"`
}

// Push sends the outbox in order, PushLimit mutations at a time, until it
// is empty. Acknowledged mutations leave the outbox; their results are kept.
func (c *Client) Push(ctx context.Context) error {
	limit := c.PushLimit
	if limit <= 0 {
		limit = 100
	}
	for {
		c.mu.Lock()
		batch := append([]sync.Mutation(nil), c.outbox[:min(limit, len(c.outbox))]...)
		c.mu.Unlock()
		if len(batch) == 0 {
			return nil
		}
		body, _ := json.Marshal(map[string]any{"clientId": c.ID, "schemaVersion": 1, "mutations": batch})
		var res pushResponse
		status, err := c.call(ctx, http.MethodPost, "/api/sync/push", body, &res)
		if err != nil {
			return err
		}
		c.acknowledge(res)
		switch status {
		case http.StatusOK:
			if head, ok := c.outboxHead(); ok && head == batch[0].ID {
				return fmt.Errorf("syncclient: the server acknowledged nothing of the push (lastMutationId %d)", res.LastMutationID)
			}
		case http.StatusTooManyRequests:
			return fmt.Errorf("%w: %s", ErrTooManyRejections, res.Message)
		case http.StatusConflict, http.StatusServiceUnavailable:
			// out_of_order: a delayed copy of an older push arrived first;
			// 503: the server stopped part-way. Either way, resend from the
			// first unacknowledged mutation.
			return fmt.Errorf("%w: push answered %d %s", ErrRetry, status, res.Message)
		default:
			return fmt.Errorf("syncclient: push answered %d %s", status, res.Message)
		}
	}
}

// outboxHead is the id of the oldest pending mutation.
func (c *Client) outboxHead() (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.outbox) == 0 {
		return 0, false
	}
	return c.outbox[0].ID, true
}

func (c *Client) acknowledge(res pushResponse) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range res.Results {
		if r.Status == "lost" {
			c.requeue(r.ID)
		}
		if _, seen := c.outcomes[r.ID]; !seen || !r.Replayed {
			r.Record = nil
			c.outcomes[r.ID] = r
		}
	}
	if res.LastMutationID > c.lastMutationID {
		c.lastMutationID = res.LastMutationID
	}
	if res.TokenExpiresIn > 0 {
		c.tokenExpiresIn = res.TokenExpiresIn
	}
	// the response carries a result for every mutation up to its
	// lastMutationId that this push sent: those leave the outbox
	keep := c.outbox[:0]
	for _, m := range c.outbox {
		if _, done := c.outcomes[m.ID]; !done || m.ID > res.LastMutationID {
			keep = append(keep, m)
		} else {
			c.sent[m.ID] = m
		}
	}
	c.outbox = keep
}

// requeue puts a mutation the server acknowledged, then lost with a restore
// from backup, back at the end of the outbox under a new id (the old one is
// spent): it runs again, and applies or is rejected as it would now. A real
// app keeps acknowledged mutations for as long as a backup may predate them
// (its backup interval and a margin), and shows the user a lost one it no
// longer has.
func (c *Client) requeue(id int64) {
	m, ok := c.sent[id]
	if !ok {
		return // re-queued already, or not kept
	}
	delete(c.sent, id)
	c.nextID++
	m.ID = c.nextID
	c.outbox = append(c.outbox, m)
}

type pullResponse struct {
	Changes []struct {
		Collection string `json:"collection"`
		RecordID   string `json:"recordId"`
		Op         string `json:"op"`
		Record     Record `json:"record"`
	} `json:"changes"`
	Cursor         string     `json:"cursor"`
	HasMore        bool       `json:"hasMore"`
	Reset          bool       `json:"reset"`
	LastMutationID int64      `json:"lastMutationId"`
	Rejected       []Rejected `json:"rejected"`
	TokenExpiresIn int64      `json:"tokenExpiresIn"`
	Message        string     `json:"message"`
}

// Pull fetches pages until hasMore is false. On reset the synced data is
// replaced by the pages that follow; the outbox is kept.
func (c *Client) Pull(ctx context.Context) error {
	limit := c.PullLimit
	if limit <= 0 {
		limit = 500
	}
	for {
		c.mu.Lock()
		q := url.Values{"clientId": {c.ID}, "cursor": {c.cursor}, "limit": {strconv.Itoa(limit)}}
		c.mu.Unlock()
		var res pullResponse
		status, err := c.call(ctx, http.MethodGet, "/api/sync/pull?"+q.Encode(), nil, &res)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("syncclient: pull answered %d %s", status, res.Message)
		}
		c.apply(res)
		if !res.HasMore {
			return nil
		}
	}
}

func (c *Client) apply(res pullResponse) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if res.Reset {
		c.store = map[string]map[string]Record{}
	}
	for _, ch := range res.Changes {
		if c.store[ch.Collection] == nil {
			c.store[ch.Collection] = map[string]Record{}
		}
		if ch.Op == "delete" {
			delete(c.store[ch.Collection], ch.RecordID)
		} else {
			c.store[ch.Collection][ch.RecordID] = ch.Record
		}
		if c.OnChange != nil {
			c.OnChange(ch.Collection, ch.RecordID, ch.Record, ch.Op)
		}
	}
	c.cursor = res.Cursor
	// rejections come once each, like changes (again after a reset): kept
	// until dismissed
	if res.Reset {
		c.rejected = nil
	}
	for _, r := range res.Rejected {
		c.rejected = slices.DeleteFunc(c.rejected, func(x Rejected) bool { return x.ID == r.ID })
		c.rejected = append(c.rejected, r)
	}
	if res.LastMutationID > c.lastMutationID {
		c.lastMutationID = res.LastMutationID
	}
	if res.TokenExpiresIn > 0 {
		c.tokenExpiresIn = res.TokenExpiresIn
	}
}

// Dismiss resolves a rejected mutation on the server.
func (c *Client) Dismiss(ctx context.Context, id int64) error {
	status, err := c.call(ctx, http.MethodDelete, "/api/sync/rejected/"+c.ID+"/"+strconv.FormatInt(id, 10), nil, nil)
	if err == nil && status != http.StatusNoContent {
		err = fmt.Errorf("syncclient: dismiss answered %d", status)
	}
	if err == nil || status == http.StatusNotFound { // 404: dismissed already
		c.mu.Lock()
		c.rejected = slices.DeleteFunc(c.rejected, func(x Rejected) bool { return x.ID == id })
		c.mu.Unlock()
	}
	return err
}

// Upload attaches a file (a receipt, a visit photo) with the records API's
// multipart PATCH: files never travel in a push. Call it once the record's
// create was acknowledged, and before pushing the mutation that needs the
// file (e.g. the expense's submit). Uploading the same file again is safe.
func (c *Client) Upload(ctx context.Context, collection, id, field, filename string, content []byte) error {
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	part, err := form.CreateFormFile(field, filename)
	if err == nil {
		_, err = part.Write(content)
	}
	if err == nil {
		err = form.Close()
	}
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, c.BaseURL+"/api/collections/"+collection+"/records/"+id, &body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", c.Token)
	req.Header.Set("Content-Type", form.FormDataContentType())
	resp, err := c.do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRetry, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("syncclient: upload answered %d %s", resp.StatusCode, raw)
	}
	return nil
}

func (c *Client) do(req *http.Request) (*http.Response, error) {
	if c.Do != nil {
		return c.Do(req)
	}
	return http.DefaultClient.Do(req)
}

// call does one request; transport failures wrap ErrRetry.
func (c *Client) call(ctx context.Context, method, path string, body []byte, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", c.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrRetry, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrRetry, err)
	}
	if out != nil && len(raw) > 0 && json.Unmarshal(raw, out) != nil && resp.StatusCode < 300 {
		return resp.StatusCode, fmt.Errorf("syncclient: %s %s: bad response %q", method, path, raw)
	}
	return resp.StatusCode, nil
}
