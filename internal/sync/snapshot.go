package sync

import (
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
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
// It mirrors who the rules name (owner, rep, approver, the teams one views,
// deciders) the way audience does for the change log; whoever it does not
// narrow (staff, and the small collections) gets every id. Deciders are found
// through approvals: whoever decides a plan or an expense is the approver of
// its approval (hooks/approvals.go).
func candidateSQL(app core.App, coll string, user *core.Record) (string, dbx.Params, error) {
	all := "SELECT id FROM " + coll
	params := dbx.Params{"me": user.Id}
	if isStaff(user.GetString("role")) {
		return all, params, nil
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
	own := func(table string, users ...string) string {
		arms := []string{"SELECT id FROM " + table + " WHERE team IN (" + teams + ")"}
		for _, u := range users {
			arms = append(arms, "SELECT id FROM "+table+" WHERE "+u+" = {:me}")
		}
		return strings.Join(arms, " UNION ")
	}
	decided := func(field string) string {
		return "SELECT " + field + " FROM approvals WHERE approver = {:me} AND " + field + " != ''"
	}
	plans := own("plans", "owner", "approver") + " UNION " + decided("plan")
	expenses := own("expenses", "rep", "approver") + " UNION " + decided("expense")
	switch coll {
	case "customers", "complaints":
		return own(coll, "owner"), params, nil
	case "visits":
		return own(coll, "rep"), params, nil
	case "plans":
		return plans, params, nil
	case "expenses":
		return expenses, params, nil
	case "approvals":
		return "SELECT id FROM approvals WHERE approver = {:me}" +
			" UNION SELECT id FROM approvals WHERE plan IN (" + plans + ")" +
			" UNION SELECT id FROM approvals WHERE expense IN (" + expenses + ")", params, nil
	case "notifications":
		return "SELECT id FROM notifications WHERE user = {:me}", params, nil
	}
	return all, params, nil
}
