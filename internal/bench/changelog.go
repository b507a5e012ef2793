package bench

import (
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// fillChangeLog grows the sync change log to `rows` rows the fast way (one
// transaction of plain INSERTs), with rows that look like the real ones:
// it replays, in random order, the (audience, collection, record) entries
// that generating the organisation wrote through the real hooks, as if
// those records had been edited again and again. Every audience, collection
// and record id in it exists; only the volume is synthetic.
func fillChangeLog(app core.App, rows int, seed uint64, log io.Writer) error {
	type entry struct {
		aud, coll, rid string
		at             int64
	}
	var real []entry
	q, err := app.DB().NewQuery("SELECT aud, coll, rid, at FROM _sync_changes WHERE coll != '' ORDER BY seq").Rows()
	if err != nil {
		return fmt.Errorf("the sync change log (_sync_changes) is not readable: %w", err)
	}
	var lastAt int64
	for q.Next() {
		var e entry
		if err := q.Scan(&e.aud, &e.coll, &e.rid, &e.at); err != nil {
			q.Close()
			return err
		}
		real = append(real, e)
		lastAt = max(lastAt, e.at)
	}
	q.Close()
	if len(real) == 0 {
		return fmt.Errorf("generating the organisation wrote nothing to the change log: is the sync package registered?")
	}
	todo := rows - len(real)
	if todo <= 0 {
		return nil
	}

	db, ok := app.NonconcurrentDB().(*dbx.DB)
	if !ok {
		return fmt.Errorf("unexpected writer type %T", app.NonconcurrentDB())
	}
	bar := newProgress(log, "change log (bulk insert)", todo)
	defer bar.done()
	rng := rand.New(rand.NewPCG(seed, 3))
	tx, err := db.DB().Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare("INSERT INTO _sync_changes (aud, coll, rid, at) VALUES (?, ?, ?, ?)")
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := range todo {
		e := real[rng.IntN(len(real))]
		if _, err := stmt.Exec(e.aud, e.coll, e.rid, lastAt); err != nil {
			return err
		}
		if (i+1)%10_000 == 0 {
			bar.add(10_000)
		}
	}
	bar.add(todo % 10_000)
	return tx.Commit()
}
