package schedule

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// batch is the next batchSize active customers after a cursor, read
// ahead of their transaction (readAhead).
type batch struct {
	ids       []string
	customers []*core.Record // as read ahead; plan checks them in its transaction
	occasions map[*core.Record][]task
	err       error
}

// readAhead reads the batch after cursor on another goroutine, through the
// app's read connections, while the caller's transaction writes the batch
// before it: building the customers' records, and the follow-ups and care
// tasks they are due (which depend on nothing else), is a seventh of a
// first run, and the writer need not wait for it (docs/benchmarks.md, P6).
// A transaction's app is not shared between goroutines, so inside one the
// batch is read in place.
func (p *planner) readAhead(app core.App, cursor string) <-chan batch {
	next := make(chan batch, 1)
	read := func() {
		var b batch
		b.err = app.DB().Select("id").From("customers").
			Where(dbx.HashExp{"status": "active"}).AndWhere(dbx.NewExp("id > {:after}", dbx.Params{"after": cursor})).
			OrderBy("id").Limit(batchSize).Column(&b.ids)
		if b.err == nil && len(b.ids) > 0 {
			b.customers, b.err = app.FindRecordsByIds("customers", b.ids)
		}
		b.occasions = make(map[*core.Record][]task, len(b.customers))
		for _, c := range b.customers {
			b.occasions[c] = p.occasions(c)
		}
		next <- b
	}
	if app.IsTransactional() {
		read()
	} else {
		go read()
	}
	return next
}

// current is customers as app's transaction sees them: those read ahead
// whose version still holds, the others read again (a rep's write may have
// changed or deleted them since). Every write of a customer goes through
// its record events, which advance its version.
func current(app core.App, ids []string, ahead []*core.Record) ([]*core.Record, error) {
	if ahead == nil {
		return app.FindRecordsByIds("customers", ids)
	}
	var rows []struct {
		Id      string `db:"id"`
		Version int    `db:"version"`
	}
	err := app.DB().Select("id", "version").From("customers").Where(dbx.In("id", anys(ids)...)).All(&rows)
	if err != nil {
		return nil, err
	}
	versions := make(map[string]int, len(rows))
	for _, r := range rows {
		versions[r.Id] = r.Version
	}
	var kept []*core.Record
	var stale []string
	for _, c := range ahead {
		v, exists := versions[c.Id]
		switch {
		case !exists: // deleted since
		case v == c.GetInt("version"):
			kept = append(kept, c)
		default:
			stale = append(stale, c.Id)
		}
	}
	if len(stale) == 0 {
		return kept, nil
	}
	again, err := app.FindRecordsByIds("customers", stale)
	return append(kept, again...), err
}

func anys(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
