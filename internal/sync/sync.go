// Package sync implements the offline sync protocol v1 (shared/spec/sync.md):
// push (exactly-once mutations through the same rules as REST), pull (an
// incremental, scope-aware change feed with resets), the realtime poke and
// change-log retention. docs/sync.md describes the design.
//
// Visibility is tracked by audience keys. Every change of a synced record
// writes one change-log row per key of the record's audience before and after
// the change; a user pulls the rows of their own keys. Whether a row becomes
// an upsert or a delete is decided at pull time by the collection's view rule
// for that user, so the log only needs to reach everyone who may have been
// affected, never to be exact.
//
//	u:<user>   the user (owner, rep, approver)
//	v:<team>   the team's viewers (managers of the team and its ancestors)
//	t:<team>   members of the team and of its sub-teams (team budgets)
//	staff      finance and admin, who see everything: they read the whole
//	           log, so this key gets a row only when a change has no other
//	all        every user (tier policies, org settings, org budgets)
package sync

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
)

// Collections are the synced collections, in snapshot order.
var Collections = []string{"org_settings", "tier_policies", "budgets", "customers", "plans", "visits", "expenses", "approvals", "complaints", "notifications"}

func isSynced(collection string) bool { return slices.Contains(Collections, collection) }

const (
	keyAll   = "all"
	keyStaff = "staff"
)

func isStaff(role string) bool { return role == "finance" || role == "admin" }

// keys is a small ordered set of audience keys.
type keys []string

func (k *keys) add(key string) {
	if !slices.Contains(*k, key) {
		*k = append(*k, key)
	}
}

func (k *keys) user(id string) {
	if id != "" {
		k.add("u:" + id)
	}
}

func (k *keys) viewers(team string) {
	if team != "" {
		k.add("v:" + team)
	}
}

func (k *keys) members(team string) {
	if team != "" {
		k.add("t:" + team)
	}
}

func (k *keys) merge(other keys) {
	for _, key := range other {
		k.add(key)
	}
}

// audience lists the keys of everyone who may view r (r may be a record's
// Original(), to get the audience before a change).
func audience(app core.App, r *core.Record) keys {
	var k keys
	switch r.Collection().Name {
	case "tier_policies", "org_settings":
		k.add(keyAll)
		return k
	case "notifications": // its user's alone, staff included
		k.user(r.GetString("user"))
		return k
	case "customers":
		k.user(r.GetString("owner"))
	case "plans":
		k.user(r.GetString("owner"))
		k.user(r.GetString("approver"))
		k.deciders(r)
	case "visits":
		k.user(r.GetString("rep"))
	case "complaints":
		k.user(r.GetString("owner"))
	case "expenses":
		k.user(r.GetString("rep"))
		k.user(r.GetString("approver"))
		k.deciders(r)
	case "approvals":
		k.user(r.GetString("approver"))
		if p, err := app.FindRecordById("plans", r.GetString("plan")); err == nil {
			k.merge(ownerKeys(p))
		}
		if x, err := app.FindRecordById("expenses", r.GetString("expense")); err == nil {
			k.merge(ownerKeys(x))
		}
	case "budgets":
		if r.GetString("scope") == "org" {
			k.add(keyAll)
			return k
		}
		if rep := r.GetString("rep"); rep != "" {
			k.user(rep)
			if u, err := app.FindRecordById("users", rep); err == nil {
				k.viewers(u.GetString("team"))
			}
		}
		if r.GetString("scope") == "team" {
			k.members(r.GetString("team"))
		}
	}
	k.viewers(r.GetString("team"))
	k.add(keyStaff)
	return k
}

// deciders adds everyone who decided plan or expense r: they keep sight of
// it and its approvals.
func (k *keys) deciders(r *core.Record) {
	for _, id := range r.GetStringSlice("deciders") {
		k.user(id)
	}
}

// ownerKeys are the keys through which a plan's or expense's approvals are
// visible: its owner, its deciders and its team's viewers.
func ownerKeys(r *core.Record) keys {
	var k keys
	k.user(r.GetString("owner"))
	k.user(r.GetString("rep"))
	k.deciders(r)
	k.viewers(r.GetString("team"))
	return k
}

// userKeys are the keys a user pulls: their own, the teams they view, and
// their team's lineage (one query).
func userKeys(app core.App, user *core.Record) (keys, error) {
	k := keys{"u:" + user.Id, keyAll}
	if isStaff(user.GetString("role")) {
		k.add(keyStaff)
	}
	var rows []struct {
		Kind string `db:"kind"`
		Team string `db:"team"`
	}
	err := app.DB().NewQuery(`SELECT 'v' AS kind, id AS team FROM teams
			WHERE EXISTS (SELECT 1 FROM json_each(teams.viewers) WHERE json_each.value = {:u})
		UNION ALL
		SELECT 't', a.value FROM teams, json_each(teams.ancestors) a WHERE teams.id = {:team}`).
		Bind(map[string]any{"u": user.Id, "team": user.GetString("team")}).All(&rows)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.Kind == "v" {
			k.viewers(r.Team)
		} else {
			k.members(r.Team)
		}
	}
	return k, nil
}

// Register binds the sync routes, the change-log hooks, the poke, the
// retention job and the backup mark (epoch.go) to app.
func Register(app core.App) {
	p := newPoker(app)
	bindChangeLog(app, p)
	app.OnBackupCreate().BindFunc(markBackup)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		if err := renewEpochIfRestored(se.App); err != nil {
			return err
		}
		bindRoutes(se)
		return se.Next()
	})
	app.Cron().MustAdd("sync_prune", "23 * * * *", func() {
		if err := Prune(app); err != nil {
			app.Logger().Error("sync: prune failed", "error", err)
		}
	})
}
