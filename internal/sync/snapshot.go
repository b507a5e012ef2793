package sync

import (
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/catalog"
)

// minCandidateChunk is the fewest candidate ids a snapshot page reads at a
// time, so that a small page over mostly hidden rows (budgets) takes few
// rounds.
const minCandidateChunk = 200

// snapshotRecords returns up to n records of coll with ids after after, in
// id order, that the collection's list rule lets the caller see. The rule
// stays the only judge; it is evaluated only on the page's candidate rows:
// the next ids in order (an index walk), narrowed for non-staff users by
// candidateSQL. So a page costs what the page holds, not the whole table.
func snapshotRecords(e *core.RequestEvent, coll *core.Collection, after string, n int) ([]*core.Record, error) {
	from, params, err := candidateSQL(e.App, coll.Name, e.Auth)
	if err != nil {
		return nil, err
	}
	chunk := max(n, minCandidateChunk)
	var out []*core.Record
	for len(out) < n {
		var ids []string
		params["after"], params["chunk"] = after, chunk
		err := e.App.DB().NewQuery("SELECT id FROM (" + from + ") WHERE id > {:after} ORDER BY id LIMIT {:chunk}").
			Bind(params).Column(&ids)
		if err != nil || len(ids) == 0 {
			return out, err
		}
		records, err := visibleRecords(e, coll, coll.ListRule, dbx.In(coll.Name+".id", toAny(ids)...), len(ids))
		if err != nil {
			return nil, err
		}
		out = append(out, records[:min(len(records), n-len(out))]...)
		if len(ids) < chunk {
			break
		}
		after = ids[len(ids)-1]
	}
	return out, nil
}

// candidateSQL is a query of the ids of coll that user might be allowed to
// list: a superset of the list rule's answer, read through indexed columns.
// It reads the grants of the collection's catalogue entry, as audience does
// for the change log: the owner, the approver, the teams the user views, the
// records it decided (found through approvals: whoever decides a plan or an
// expense is the approver of its approval), and for a linked collection
// (approvals) whatever links to the candidates of its targets. Whom it does
// not narrow (staff, grants to everyone or to team members) gets every id.
func candidateSQL(app core.App, coll string, user *core.Record) (string, dbx.Params, error) {
	params := dbx.Params{"me": user.Id}
	if isStaff(user.GetString("role")) {
		return "SELECT id FROM " + coll, params, nil
	}
	var viewed []string
	err := app.DB().NewQuery(`SELECT id FROM teams
		WHERE EXISTS (SELECT 1 FROM json_each(teams.viewers) WHERE json_each.value = {:me})`).Bind(params).Column(&viewed)
	if err != nil {
		return "", nil, err
	}
	teams := "''"
	if len(viewed) > 0 {
		teams = bindList(params, "t", toAny(viewed))
	}
	return candidates(catalog.Get(coll), teams), params, nil
}

// candidates is the id query of c's records that name {:me} or one of teams.
func candidates(c *catalog.Collection, teams string) string {
	seen := c.Seen
	if seen.Everyone || seen.EveryoneWhen != nil || seen.MembersWhen != nil {
		return "SELECT id FROM " + c.Name
	}
	var arms []string
	if seen.TeamViewers {
		arms = append(arms, "SELECT id FROM "+c.Name+" WHERE team IN ("+teams+")")
	}
	if seen.Owner {
		arms = append(arms, "SELECT id FROM "+c.Name+" WHERE "+c.Owner+" = {:me}")
	}
	if seen.Approvers {
		field := catalog.DecisionField(c.Name)
		arms = append(arms, "SELECT id FROM "+c.Name+" WHERE approver = {:me}",
			"SELECT "+field+" FROM approvals WHERE approver = {:me} AND "+field+" != ''")
	}
	for _, l := range seen.Via {
		arms = append(arms, "SELECT id FROM "+c.Name+" WHERE "+l.Field+" IN ("+candidates(catalog.Get(l.Collection), teams)+")")
	}
	return strings.Join(arms, " UNION ")
}
