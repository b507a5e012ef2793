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

	"rapport/internal/catalog"
)

// Collections are the synced collections, in snapshot order.
var Collections = catalog.Synced

func isSynced(collection string) bool { return slices.Contains(Collections, collection) }

const (
	keyAll   = "all"
	keyStaff = "staff"
)

func isStaff(role string) bool { return slices.Contains(catalog.StaffRoles, role) }

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
// Original(), to get the audience before a change): the grants of the
// collection's catalogue entry, the same the list rule renders.
func audience(app core.App, r *core.Record) keys {
	c := catalog.Get(r.Collection().Name)
	seen := c.Seen
	var k keys
	if seen.Everyone || seen.EveryoneWhen.Holds(r.GetString) {
		k.add(keyAll)
		return k
	}
	if seen.Owner {
		k.user(r.GetString(c.Owner))
	}
	if seen.Approvers {
		k.user(r.GetString("approver"))
		k.deciders(r)
	}
	for _, l := range seen.Via { // an approval names a plan or an expense
		if id := r.GetString(l.Field); id != "" {
			if linked, err := app.FindRecordById(l.Collection, id); err == nil {
				k.merge(ownerKeys(linked))
			}
		}
	}
	if id := r.GetString(c.Owner); seen.OwnerTeamViewers && id != "" { // a team budget has no rep
		if u, err := app.FindRecordById("users", id); err == nil {
			k.viewers(u.GetString("team"))
		}
	}
	if seen.MembersWhen.Holds(r.GetString) {
		k.members(r.GetString("team"))
	}
	if seen.TeamViewers {
		k.viewers(r.GetString("team"))
	}
	if seen.Staff {
		k.add(keyStaff)
	}
	return k
}

// deciders adds everyone who decided plan or expense r: they keep sight of
// it and its approvals.
func (k *keys) deciders(r *core.Record) {
	for _, id := range r.GetStringSlice("deciders") {
		k.user(id)
	}
}

// ownerKeys are the keys through which the records linking to r see it (an
// approval through its plan or expense, catalog.Seen.Via): r's owner, its
// deciders and its team's viewers.
func ownerKeys(r *core.Record) keys {
	c := catalog.Get(r.Collection().Name)
	var k keys
	if c.Seen.Owner {
		k.user(r.GetString(c.Owner))
	}
	if c.Approvable {
		k.deciders(r)
	}
	if c.Seen.TeamViewers {
		k.viewers(r.GetString("team"))
	}
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
