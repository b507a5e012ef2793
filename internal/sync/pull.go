package sync

import (
	"cmp"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"
)

const (
	defaultPullLimit = 500
	maxPullLimit     = 1000
)

// cursor is a position in the change log (Seq) of one history of it
// (Epoch, see epoch.go), or, during a reset, a position in the snapshot that
// started at Seq: collection index and the last record id sent. Rejected is
// the last rejected mutation sent (rejected.go).
type cursor struct {
	Epoch    int64
	Seq      int64
	Snap     bool
	Coll     int
	After    string
	Rejected int64
}

func (c cursor) String() string {
	s := "3:" + strconv.FormatInt(c.Epoch, 10) + ":" + strconv.FormatInt(c.Rejected, 10) + ":" + strconv.FormatInt(c.Seq, 10)
	if c.Snap {
		s += ":" + strconv.Itoa(c.Coll) + ":" + c.After
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// parseCursor reads a cursor; one from before epochs ("1:…") belongs to
// the first epoch, 0, and one from before rejections were paged ("1:…",
// "2:…") has sent none of them.
func parseCursor(s string) (cursor, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, false
	}
	parts := strings.Split(string(raw), ":")
	c := cursor{}
	switch {
	case parts[0] == "3" && len(parts) > 2:
		if c.Epoch, err = strconv.ParseInt(parts[1], 10, 64); err != nil {
			return cursor{}, false
		}
		if c.Rejected, err = strconv.ParseInt(parts[2], 10, 64); err != nil || c.Rejected < 0 {
			return cursor{}, false
		}
		parts = parts[2:]
	case parts[0] == "2" && len(parts) > 1:
		if c.Epoch, err = strconv.ParseInt(parts[1], 10, 64); err != nil {
			return cursor{}, false
		}
		parts = parts[1:]
	case parts[0] != "1":
		return cursor{}, false
	}
	if len(parts) != 2 && len(parts) != 4 {
		return cursor{}, false
	}
	if c.Seq, err = strconv.ParseInt(parts[1], 10, 64); err != nil || c.Seq < 0 {
		return cursor{}, false
	}
	if len(parts) == 4 {
		c.Snap, c.After = true, parts[3]
		if c.Coll, err = strconv.Atoi(parts[2]); err != nil || c.Coll < 0 || c.Coll > len(Collections) {
			return cursor{}, false
		}
	}
	return c, true
}

// Change is one entry of a pull page.
type Change struct {
	Collection string       `json:"collection"`
	RecordID   string       `json:"recordId"`
	Op         string       `json:"op"` // upsert or delete
	Record     *core.Record `json:"record,omitempty"`
}

type pullResponse struct {
	Changes        []Change   `json:"changes"`
	Cursor         string     `json:"cursor"`
	HasMore        bool       `json:"hasMore"`
	Reset          bool       `json:"reset"`
	LastMutationID int64      `json:"lastMutationId"`
	Rejected       []rejected `json:"rejected"`
	ServerTime     string     `json:"serverTime"`
	TokenExpiresIn int64      `json:"tokenExpiresIn"`
}

func pull(e *core.RequestEvent) error {
	q := e.Request.URL.Query()
	clientID := q.Get("clientId")
	last, err := bindClient(e, clientID)
	if err != nil {
		return err
	}
	limit, ok := pullLimit(q.Get("limit"))
	if !ok {
		return e.BadRequestError("limit must be a whole number from 1; above 1000 counts as 1000.", nil)
	}

	latest, err := head(e.App)
	if err != nil {
		return err
	}
	// a cursor of another history (a backup was restored since), or one
	// ahead of this log, was not issued by it: changes behind it would be
	// skipped
	c, ok := parseCursor(q.Get("cursor"))
	reset := !ok || c.Epoch != latest.Epoch || c.Seq > latest.Seq
	if !reset {
		horizon, err := resetHorizon(e.App, e.Auth.Id)
		if err != nil {
			return err
		}
		reset = c.Seq < horizon
	}
	if reset {
		c = cursor{Epoch: latest.Epoch, Seq: latest.Seq, Snap: true}
	}

	res := pullResponse{Reset: reset, LastMutationID: last, Changes: []Change{}}
	if err := fillPage(e, &res, c, limit, clientID); err != nil {
		return err
	}
	res.ServerTime = time.Now().UTC().Format(time.RFC3339)
	res.TokenExpiresIn = tokenExpiresIn(e)
	return e.JSON(http.StatusOK, res)
}

// fillPage reads the page of changes and rejections after cursor c into res.
func fillPage(e *core.RequestEvent, res *pullResponse, c cursor, limit int, clientID string) error {
	var next cursor
	var err error
	if c.Snap {
		err = inSnapshotSlot(e.Request.Context(), func() (err error) {
			res.Changes, next, res.HasMore, err = snapshotPage(e, c, limit)
			return err
		})
	} else {
		res.Changes, next, res.HasMore, err = incrementalPage(e, c, limit)
	}
	if err != nil {
		return err
	}
	var moreRejected bool
	if res.Rejected, next.Rejected, moreRejected, err = rejectedPage(e.App, clientID, c.Rejected, min(limit, maxRejectedPage)); err != nil {
		return err
	}
	res.HasMore = res.HasMore || moreRejected
	res.Cursor = next.String()
	return nil
}

// resetHorizon is the oldest cursor still valid for user: anything older was
// pruned, or predates a change of the user's scope.
func resetHorizon(app core.App, user string) (int64, error) {
	var pruned, scope int64
	err := app.DB().NewQuery(`SELECT
		COALESCE((SELECT value FROM _sync_state WHERE key = 'pruned_seq'), 0),
		COALESCE((SELECT seq FROM _sync_resets WHERE user = {:u}), 0)`).
		Bind(dbx.Params{"u": user}).Row(&pruned, &scope)
	return max(pruned, scope), err
}

// head is the newest position of the change log: its epoch and the last
// seq it handed out.
func head(app core.App) (cursor, error) {
	var c cursor
	err := app.DB().NewQuery(`SELECT COALESCE((SELECT value FROM _sync_state WHERE key = 'epoch'), 0),
		COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '_sync_changes'), 0)`).Row(&c.Epoch, &c.Seq)
	return c, err
}

// snapshotPage lists what the user may see now, collection by collection in
// id order, exactly as the REST list would. Once done, the client continues
// incrementally from the seq the snapshot started at.
func snapshotPage(e *core.RequestEvent, c cursor, limit int) ([]Change, cursor, bool, error) {
	changes := []Change{}
	for c.Coll < len(Collections) && len(changes) < limit {
		coll, err := e.App.FindCachedCollectionByNameOrId(Collections[c.Coll])
		if err != nil {
			return nil, c, false, err
		}
		n := limit - len(changes)
		records, err := snapshotRecords(e, coll, c.After, n)
		if err != nil {
			return nil, c, false, err
		}
		for _, r := range records {
			changes = append(changes, Change{Collection: coll.Name, RecordID: r.Id, Op: "upsert", Record: r})
		}
		if len(records) == n {
			c.After = records[n-1].Id
		} else {
			c.Coll, c.After = c.Coll+1, ""
		}
	}
	if c.Coll < len(Collections) {
		return changes, c, true, nil
	}
	next := cursor{Epoch: c.Epoch, Seq: c.Seq}
	k, err := userKeys(e.App, e.Auth)
	if err != nil {
		return nil, c, false, err
	}
	more, err := changeRows(e.App, k, c.Seq, 1)
	return changes, next, len(more) > 0, err
}

type changeRow struct {
	Seq  int64  `db:"seq"`
	Coll string `db:"coll"`
	Rid  string `db:"rid"`
}

// changeRows reads the first n rows after seq for any of k: one statement,
// an index seek per key (no sorter in SQLite), merged here. Staff read
// every row.
func changeRows(app core.App, k keys, seq int64, n int) ([]changeRow, error) {
	params := dbx.Params{"seq": seq, "n": n}
	if slices.Contains(k, keyStaff) {
		var rows []changeRow
		err := app.DB().NewQuery("SELECT seq, coll, rid FROM _sync_changes WHERE seq > {:seq} ORDER BY seq LIMIT {:n}").Bind(params).All(&rows)
		return rows, err
	}
	parts := make([]string, len(k))
	for i, key := range k {
		name := "k" + strconv.Itoa(i)
		params[name] = key
		parts[i] = "SELECT * FROM (SELECT seq, coll, rid FROM _sync_changes WHERE aud = {:" + name + "} AND seq > {:seq} ORDER BY seq LIMIT {:n})"
	}
	var rows []changeRow
	if err := app.DB().NewQuery(strings.Join(parts, " UNION ALL ")).Bind(params).All(&rows); err != nil {
		return nil, err
	}
	slices.SortFunc(rows, func(a, b changeRow) int { return cmp.Compare(a.Seq, b.Seq) })
	return rows[:min(n, len(rows))], nil
}

// incrementalPage turns the user's change rows after the cursor into
// upserts (the record as the user may view it now) and deletes (gone, or
// no longer visible to this user).
func incrementalPage(e *core.RequestEvent, c cursor, limit int) ([]Change, cursor, bool, error) {
	k, err := userKeys(e.App, e.Auth)
	if err != nil {
		return nil, c, false, err
	}
	rows, err := changeRows(e.App, k, c.Seq, limit+1)
	if err != nil {
		return nil, c, false, err
	}
	hasMore := len(rows) > limit
	if hasMore {
		rows = rows[:limit]
	}
	if len(rows) > 0 {
		c.Seq = rows[len(rows)-1].Seq
	}

	// one change per record, at its last position in the page
	lastAt := map[ref]int{}
	for i, r := range rows {
		if r.Coll != "" {
			lastAt[ref{r.Coll, r.Rid}] = i
		}
	}
	// a record changed again further on is sent there, once
	if hasMore {
		if err := dropLater(e.App, k, c.Seq, lastAt); err != nil {
			return nil, c, false, err
		}
	}
	visible, err := viewable(e, lastAt)
	if err != nil {
		return nil, c, false, err
	}
	changes := []Change{}
	for i, r := range rows {
		key := ref{r.Coll, r.Rid}
		if at, ok := lastAt[key]; !ok || at != i {
			continue
		}
		if rec := visible[key]; rec != nil {
			changes = append(changes, Change{Collection: r.Coll, RecordID: r.Rid, Op: "upsert", Record: rec})
		} else {
			changes = append(changes, Change{Collection: r.Coll, RecordID: r.Rid, Op: "delete"})
		}
	}
	return changes, c, hasMore, nil
}

type ref struct{ coll, id string }

// viewable loads the records of page the user may view now, by the
// collection's view rule; the others are missing from the map.
func viewable(e *core.RequestEvent, page map[ref]int) (map[ref]*core.Record, error) {
	ids := map[string][]string{}
	for r := range page {
		ids[r.coll] = append(ids[r.coll], r.id)
	}
	visible := map[ref]*core.Record{}
	for name, list := range ids {
		coll, err := e.App.FindCachedCollectionByNameOrId(name)
		if err != nil {
			continue // a collection that no longer exists: nothing to show
		}
		records, err := visibleRecords(e, coll, coll.ViewRule, dbx.In(coll.Name+".id", toAny(list)...), len(list))
		if err != nil {
			return nil, err
		}
		for _, r := range records {
			visible[ref{name, r.Id}] = r
		}
	}
	return visible, nil
}

// dropLater removes from page the records that have change rows for k after
// seq: the client will get them there, so a record leaving scope arrives as
// exactly one delete however the pages fall.
func dropLater(app core.App, k keys, seq int64, page map[ref]int) error {
	if len(page) == 0 {
		return nil
	}
	rids := make([]any, 0, len(page))
	for r := range page {
		rids = append(rids, r.id)
	}
	params := dbx.Params{"seq": seq}
	where := ""
	if !slices.Contains(k, keyStaff) {
		where = " AND aud IN (" + bindList(params, "k", toAny(k)) + ")"
	}
	var later []changeRow
	err := app.DB().NewQuery(`SELECT coll, rid FROM _sync_changes INDEXED BY _sync_changes_rid
		WHERE rid IN (` + bindList(params, "r", rids) + `) AND seq > {:seq}` + where).Bind(params).All(&later)
	for _, r := range later {
		delete(page, ref{r.Coll, r.Rid})
	}
	return err
}

// visibleRecords loads the records of coll matching where that the caller
// may access under rule, enriched exactly as the records API returns them.
func visibleRecords(e *core.RequestEvent, coll *core.Collection, rule *string, where dbx.Expression, limit int) ([]*core.Record, error) {
	info, err := e.RequestInfo()
	if err != nil {
		return nil, err
	}
	if rule == nil && !info.HasSuperuserAuth() {
		return nil, nil
	}
	q := e.App.RecordQuery(coll).AndWhere(where).OrderBy(coll.Name + ".id").Limit(int64(limit))
	if rule != nil && *rule != "" && !info.HasSuperuserAuth() {
		resolver := core.NewRecordFieldResolver(e.App, coll, info, true)
		expr, err := search.FilterData(*rule).BuildExpr(resolver)
		if err != nil {
			return nil, err
		}
		q.AndWhere(expr)
		if err := resolver.UpdateQuery(q); err != nil { // also deduplicates joined rows
			return nil, err
		}
	}
	var records []*core.Record
	if err := q.All(&records); err != nil {
		return nil, err
	}
	if err := apis.EnrichRecords(e, records); err != nil {
		return nil, err
	}
	return records, nil
}

// bindList adds values to params as prefix0, prefix1, … and returns the
// placeholders for an IN (…) list.
func bindList(params dbx.Params, prefix string, values []any) string {
	names := make([]string, len(values))
	for i, v := range values {
		name := prefix + strconv.Itoa(i)
		params[name] = v
		names[i] = "{:" + name + "}"
	}
	return strings.Join(names, ", ")
}

func toAny(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}
