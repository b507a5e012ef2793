package hooks

import (
	"fmt"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/approval"
	"rapport/internal/catalog"
	"rapport/internal/notify"
	"rapport/internal/violation"
)

// leaverWork is what a user looks after, by collection: the field naming
// them and the statuses still open (nil: every record). Deactivating the
// user hands it to their approver. Customers go first, all of them: their
// reassignment carries the customer's open work (catalog Reassigned) along
// (customer_reassign.go); the other rows catch what is theirs elsewhere.
func leaverWork() []work {
	customers := catalog.Get("customers")
	all := []work{{customers.Name, customers.Owner, nil}}
	for _, c := range catalog.All {
		if len(c.Reassigned) > 0 {
			all = append(all, work{c.Name, c.Owner, anys(c.Reassigned)})
		}
	}
	return all
}

// work is what a user looks after in one collection.
type work struct {
	collection, field string
	open              []any
}

// bindLeavers: a deactivated user's customers, open plans, scheduled
// visits and open complaints go to their approver (their manager, or their
// team's manager up the chain), in the deactivation's transaction and
// audited as the admin who deactivated them; otherwise nobody would attend them and nobody
// would know (the approver gets a notice). It runs around the other user
// hooks (StageHandOver, inside the write's transaction), so the hand-over
// follows the deactivation's own audit entry in the log.
func bindLeavers(app core.App) {
	bind(app.OnRecordUpdate("users"), StageHandOver, "rapport.users.handover", handOverOnDeactivation)
}

func handOverOnDeactivation(e *core.RecordEvent) error {
	wasActive := e.Record.Original().GetBool("active")
	if err := e.Next(); err != nil {
		return err
	}
	if !wasActive || e.Record.GetBool("active") {
		return nil
	}
	return handOver(e.App, e.Record)
}

// handOver moves the open work of leaver to their approver and tells them.
// With nobody above them and work to hand over, the deactivation is
// refused: an admin reassigns it, or sets a manager, first.
func handOver(app core.App, leaver *core.Record) error {
	var successor *core.Record
	if chain := approval.For(app, leaver.Id).Chain; len(chain) > 0 {
		successor = chain[0]
	}
	// what they look after, counted before customers carry the rest along
	var counts []notify.Count
	var work []string
	for _, w := range leaverWork() {
		n, err := app.CountRecords(w.collection, leaverWhere(leaver, w.field, w.open))
		if err != nil {
			return err
		}
		if n > 0 {
			counts = append(counts, notify.Count{Collection: w.collection, N: int(n)})
			work = append(work, fmt.Sprintf("%s (%d)", w.collection, n))
		}
	}
	if len(work) == 0 {
		return nil
	}
	if successor == nil {
		return violation.New("active", "no_approver", "%s still looks after %s and has nobody above them to hand them to. Reassign them, or set %s's manager, before deactivating the account.",
			nameOf(leaver), strings.Join(work, ", "), nameOf(leaver))
	}
	for _, w := range leaverWork() {
		records, err := app.FindAllRecords(w.collection, leaverWhere(leaver, w.field, w.open))
		if err != nil {
			return err
		}
		for _, r := range records {
			r.Set(w.field, successor.Id)
			if err := followOwnersChain(app, r, successor.Id); err != nil {
				return err
			}
			causedBy(r, leaver)
			if err := app.Save(r); err != nil {
				return err
			}
		}
	}
	return notify.Handover(app, leaver, successor, counts)
}

// leaverWhere selects the records of collection naming leaver in field,
// among the open statuses (nil: all).
func leaverWhere(leaver *core.Record, field string, open []any) dbx.Expression {
	where := dbx.HashExp{field: leaver.Id}
	if open == nil {
		return where
	}
	return dbx.And(where, dbx.In("status", open...))
}
