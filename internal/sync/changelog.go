package sync

import (
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/catalog"
	"rapport/internal/narrow"
	"rapport/internal/txstate"
)

// bindChangeLog hangs the change log on the record model events, after
// e.Next(): hooks/stage_tx.go has already opened the write's transaction, so
// the log rows commit (or roll back) together with the change, whatever the
// write path.
func bindChangeLog(app core.App, p *poker) {
	// a narrow update (sums) moves no one's sight: r's audience now is
	// everyone who must pull it
	narrow.OnUpdated(app).BindFunc(func(e *core.RecordEvent) error {
		if name := e.Record.Collection().Name; isSynced(name) {
			if err := logRecord(e.App, p, name, e.Record.Id, audience(e.App, e.Record)); err != nil {
				return err
			}
		}
		return e.Next()
	})
	app.OnRecordCreate(Collections...).BindFunc(func(e *core.RecordEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		return logRecord(e.App, p, e.Record.Collection().Name, e.Record.Id, audience(e.App, e.Record))
	})
	app.OnRecordUpdate(Collections...).BindFunc(func(e *core.RecordEvent) error {
		original := e.Record.Original()
		before := audience(e.App, original)
		if err := e.Next(); err != nil {
			return err
		}
		k := audience(e.App, e.Record)
		k.merge(before)
		if err := logRecord(e.App, p, e.Record.Collection().Name, e.Record.Id, k); err != nil {
			return err
		}
		return relogApprovals(e.App, p, original, e.Record)
	})
	app.OnRecordDelete(Collections...).BindFunc(func(e *core.RecordEvent) error {
		before := audience(e.App, e.Record)
		if err := e.Next(); err != nil {
			return err
		}
		return logRecord(e.App, p, e.Record.Collection().Name, e.Record.Id, before)
	})

	app.OnRecordUpdate("teams").BindFunc(func(e *core.RecordEvent) error {
		original := e.Record.Original()
		if err := e.Next(); err != nil {
			return err
		}
		return teamScopeChanged(e.App, p, original, e.Record)
	})
	app.OnRecordUpdate("users").BindFunc(func(e *core.RecordEvent) error {
		original := e.Record.Original()
		if err := e.Next(); err != nil {
			return err
		}
		return userScopeChanged(e.App, p, original, e.Record)
	})
}

// logRecord writes one change row per audience key. One single-row
// statement per row: it is prepared once per connection (internal/dbconn),
// and unlike a multi-row INSERT it needs no statement journal.
//
// A row the transaction already wrote is not written again: a pull reads
// the record's current state, whichever of its rows brought it there, and
// the transaction's rows become visible together at its commit. So a push
// that creates then submits an expense, or re-saves one plan's sums for ten
// expenses, leaves one row per (audience, record). A record leaving an
// audience still gets that audience's row (its key is in k, above).
func logRecord(app core.App, p *poker, collection, id string, k keys) error {
	if len(k) == 0 || !p.logReady(app) {
		return nil
	}
	// staff read the whole log: their key needs a row only when no other
	// key gives the change one
	rows := slices.DeleteFunc(slices.Clone(k), func(key string) bool { return key == keyStaff })
	if len(rows) == 0 {
		rows = keys{keyStaff}
	}
	logged, _ := txstate.Of(app, loggedKey{}, func() *logged { return &logged{} })
	params := dbx.Params{"c": collection, "r": id, "t": time.Now().Unix()}
	// every Bind below sets every placeholder: dbx keeps the first Bind's
	// map and copies later ones into it
	insert, _ := txstate.Of(app, insertKey{}, func() *dbx.Query { return app.DB().NewQuery(insertChangeSQL) })
	for _, key := range rows {
		row := [3]string{key, collection, id}
		if logged.rows[row] {
			continue
		}
		params["a"] = key
		if _, err := insert.Bind(params).Execute(); err != nil {
			return err
		}
		logged.add(row)
	}
	p.afterCommit(app, k)
	return nil
}

// insertChangeSQL is built into a query once per transaction (insertKey):
// dbx rewrites a statement's text with regular expressions each time one is
// built.
const insertChangeSQL = "INSERT INTO _sync_changes (aud, coll, rid, at) VALUES ({:a}, {:c}, {:r}, {:t})"

type insertKey struct{}

// logged are the (audience, collection, record) change rows a transaction
// has written (internal/txstate drops them when it ends).
type logged struct{ rows map[[3]string]bool }

type loggedKey struct{}

func (l *logged) add(row [3]string) {
	if l.rows == nil {
		l.rows = map[[3]string]bool{}
	}
	l.rows[row] = true
}

// relogApprovals: an approval is visible through its plan's or expense's
// owner and team, so when those move, the approvals' audience moves too.
func relogApprovals(app core.App, p *poker, original, r *core.Record) error {
	field := catalog.DecisionField(r.Collection().Name)
	if field == "" {
		return nil
	}
	before, after := ownerKeys(original), ownerKeys(r)
	if slices.Equal(before, after) {
		return nil
	}
	approvals, err := app.FindAllRecords("approvals", dbx.HashExp{field: r.Id})
	if err != nil {
		return err
	}
	for _, a := range approvals {
		k := audience(app, a)
		k.merge(before)
		if err := logRecord(app, p, "approvals", a.Id, k); err != nil {
			return err
		}
	}
	return nil
}

// teamScopeChanged handles a team whose viewers or ancestors changed without
// its records changing: users who lost sight of the team get an entry for
// each of its records (they turn into deletes), users who gained sight of it
// or whose team budgets changed get a reset.
func teamScopeChanged(app core.App, p *poker, original, team *core.Record) error {
	oldViewers, newViewers := original.GetStringSlice("viewers"), team.GetStringSlice("viewers")
	for _, u := range newViewers {
		if !slices.Contains(oldViewers, u) {
			if err := resetUser(app, p, u); err != nil {
				return err
			}
		}
	}
	for _, u := range oldViewers {
		if !slices.Contains(newViewers, u) {
			if err := relogTeam(app, p, "u:"+u, team.Id); err != nil {
				return err
			}
		}
	}
	if !slices.Equal(original.GetStringSlice("ancestors"), team.GetStringSlice("ancestors")) {
		var members []string
		if err := app.DB().Select("id").From("users").Where(dbx.HashExp{"team": team.Id}).Column(&members); err != nil {
			return err
		}
		for _, u := range members {
			if err := resetUser(app, p, u); err != nil {
				return err
			}
		}
	}
	return nil
}

// userScopeChanged: a user who changes team sees other team budgets (reset),
// and their rep budgets move from the old team's viewers to the new one's
// (their other records are re-saved by the team move itself). Becoming or
// ceasing to be staff changes everything: reset.
func userScopeChanged(app core.App, p *poker, original, user *core.Record) error {
	oldTeam, newTeam := original.GetString("team"), user.GetString("team")
	staffChanged := isStaff(original.GetString("role")) != isStaff(user.GetString("role"))
	if oldTeam == newTeam && !staffChanged {
		return nil
	}
	if err := resetUser(app, p, user.Id); err != nil {
		return err
	}
	if oldTeam == newTeam {
		return nil
	}
	var k keys
	k.viewers(oldTeam)
	k.viewers(newTeam)
	var budgets []string
	if err := app.DB().Select("id").From("budgets").Where(dbx.HashExp{"rep": user.Id}).Column(&budgets); err != nil {
		return err
	}
	for _, id := range budgets {
		if err := logRecord(app, p, "budgets", id, k); err != nil {
			return err
		}
	}
	return nil
}

// relogTeam writes a change row under key for every record of team.
func relogTeam(app core.App, p *poker, key, team string) error {
	if !p.logReady(app) {
		return nil
	}
	params := dbx.Params{"k": key, "team": team, "t": time.Now().Unix()}
	queries := []string{
		`SELECT {:k}, 'customers', id, {:t} FROM customers WHERE team = {:team}`,
		`SELECT {:k}, 'plans', id, {:t} FROM plans WHERE team = {:team}`,
		`SELECT {:k}, 'visits', id, {:t} FROM visits WHERE team = {:team}`,
		`SELECT {:k}, 'expenses', id, {:t} FROM expenses WHERE team = {:team}`,
		`SELECT {:k}, 'approvals', a.id, {:t} FROM approvals a LEFT JOIN plans p ON p.id = a.plan
			LEFT JOIN expenses x ON x.id = a.expense WHERE p.team = {:team} OR x.team = {:team}`,
		`SELECT {:k}, 'budgets', id, {:t} FROM budgets WHERE team = {:team} OR rep IN (SELECT id FROM users WHERE team = {:team})`,
	}
	for _, q := range queries {
		if _, err := app.DB().NewQuery("INSERT INTO _sync_changes (aud, coll, rid, at) " + q).Bind(params).Execute(); err != nil {
			return err
		}
	}
	p.afterCommit(app, keys{key})
	return nil
}

// resetUser bumps the user's scope epoch: a marker row gives it a seq, and
// any cursor older than that seq gets reset: true.
func resetUser(app core.App, p *poker, user string) error {
	if !p.logReady(app) {
		return nil
	}
	res, err := app.DB().NewQuery(`INSERT INTO _sync_changes (aud, coll, rid, at) VALUES ({:k}, '', '', {:t})`).
		Bind(dbx.Params{"k": "u:" + user, "t": time.Now().Unix()}).Execute()
	if err != nil {
		return err
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return err
	}
	_, err = app.DB().NewQuery(`INSERT INTO _sync_resets (user, seq) VALUES ({:u}, {:s})
		ON CONFLICT (user) DO UPDATE SET seq = excluded.seq`).Bind(dbx.Params{"u": user, "s": seq}).Execute()
	if err != nil {
		return err
	}
	p.afterCommit(app, keys{"u:" + user})
	return nil
}
