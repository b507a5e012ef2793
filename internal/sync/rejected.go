package sync

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// rejected is an unresolved rejected mutation, as pull reports it.
type rejected struct {
	Mutation
	Error *router.ApiError `json:"error"`
}

// rejectedPage is pull's page of the install's unresolved rejections: up to
// n of them with a mutation id above after, in id order, the position to
// continue from, and whether more follow. A rejection is stored when its
// mutation settles, and mutations settle in id order, so a rejection newer
// than the position always has a higher id: paged this way, each one
// arrives once, and again after a reset (its cursor starts at 0).
func rejectedPage(app core.App, clientID string, after int64, n int) ([]rejected, int64, bool, error) {
	var rows []struct {
		ID      int64  `db:"id"`
		Result  string `db:"result"`
		Payload string `db:"payload"`
	}
	err := app.DB().NewQuery(`SELECT id, result, payload FROM _sync_mutations INDEXED BY _sync_mutations_open
		WHERE client = {:c} AND status = 'rejected' AND dismissed = 0 AND id > {:after} ORDER BY id LIMIT {:n}`).
		Bind(dbx.Params{"c": clientID, "after": after, "n": n + 1}).All(&rows)
	if err != nil {
		return nil, after, false, err
	}
	more := len(rows) > n
	rows = rows[:min(n, len(rows))]
	out := make([]rejected, 0, len(rows))
	for _, row := range rows {
		after = row.ID
		var r rejected
		var res Result
		if json.Unmarshal([]byte(row.Payload), &r.Mutation) != nil || json.Unmarshal([]byte(row.Result), &res) != nil {
			continue
		}
		r.Error = res.Error
		out = append(out, r)
	}
	return out, after, more, nil
}

// errTooManyRejections stops a push at an install holding
// MaxOpenRejections unresolved rejections.
var errTooManyRejections = errors.New("sync: too many open rejections")

// rejectionsFull tells whether the install holds MaxOpenRejections
// unresolved rejections: it may get no more until some are dismissed.
// Checked outside the transaction that would store one: only the install's
// own pushes add its rejections, and they settle its ids one at a time
// (expectNext), so two of them cannot both pass the cap.
func rejectionsFull(app core.App, clientID string) (bool, error) {
	var n int
	err := app.DB().NewQuery(`SELECT COUNT(*) FROM (SELECT 1 FROM _sync_mutations INDEXED BY _sync_mutations_open
		WHERE client = {:c} AND status = 'rejected' AND dismissed = 0 LIMIT {:cap})`).
		Bind(dbx.Params{"c": clientID, "cap": MaxOpenRejections}).Row(&n)
	return n >= MaxOpenRejections, err
}

// tooManyRejections makes the push's answer 429: the mutations before
// took effect, lastMutationId says how far.
func (p *pushing) tooManyRejections() int {
	p.res.Code = "too_many_rejections"
	p.res.Message = "This install holds " + itoa(MaxOpenRejections) + " unresolved rejected mutations, the most it may; " +
		"dismiss some (DELETE /api/sync/rejected/{clientId}/{id}) and push again. Mutations up to lastMutationId took effect."
	return http.StatusTooManyRequests
}
