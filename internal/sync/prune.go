package sync

import (
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/org"
)

// pruneBatch bounds how long one prune transaction holds the writer.
const pruneBatch = 5000

// Prune drops change rows and settled mutation results older than
// org_settings.sync_retention_days. Cursors older than the pruned horizon
// get reset: true on their next pull.
func Prune(app core.App) error {
	s, err := org.LoadSettings(app)
	if err != nil {
		return err
	}
	return PruneBefore(app, time.Now().AddDate(0, 0, -s.SyncRetentionDays))
}

// PruneBefore prunes what is older than cutoff.
func PruneBefore(app core.App, cutoff time.Time) error {
	horizon, err := lastSeqBefore(app, cutoff.Unix())
	if err != nil || horizon == 0 {
		return err
	}
	// the horizon first: from now on, cursors below it reset
	_, err = app.DB().NewQuery(`INSERT INTO _sync_state (key, value) VALUES ('pruned_seq', {:h})
		ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)`).Bind(dbx.Params{"h": horizon}).Execute()
	if err != nil {
		return err
	}
	for {
		res, err := app.DB().NewQuery(`DELETE FROM _sync_changes WHERE seq IN
			(SELECT seq FROM _sync_changes WHERE seq <= {:h} ORDER BY seq LIMIT {:n})`).
			Bind(dbx.Params{"h": horizon, "n": pruneBatch}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n < pruneBatch {
			break
		}
	}
	// results of mutations stay for replays during the retention period;
	// unresolved rejections stay until their author dismisses them
	_, err = app.DB().NewQuery(`DELETE FROM _sync_mutations WHERE created < {:t}
		AND (status != 'rejected' OR dismissed = 1)`).Bind(dbx.Params{"t": cutoff.Unix()}).Execute()
	return err
}

// lastSeqBefore finds the last change row written before t. seq and at grow
// together, so a binary search over seq needs no index on at.
func lastSeqBefore(app core.App, t int64) (int64, error) {
	at := func(seq int64) (int64, int64, error) { // first row at or after seq
		var s, a int64
		err := app.DB().NewQuery(`SELECT seq, at FROM _sync_changes WHERE seq >= {:s} ORDER BY seq LIMIT 1`).
			Bind(dbx.Params{"s": seq}).Row(&s, &a)
		return s, a, err
	}
	latest, err := head(app)
	if err != nil {
		return 0, err
	}
	lo, hi, best := int64(0), latest.Seq, int64(0)
	for lo <= hi {
		mid := (lo + hi) / 2
		s, a, err := at(mid)
		if err != nil { // nothing at or after mid
			hi = mid - 1
			continue
		}
		if a < t {
			best, lo = s, s+1
		} else {
			hi = mid - 1
		}
	}
	return best, nil
}
