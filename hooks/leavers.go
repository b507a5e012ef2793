package hooks

import (
	"fmt"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"rapport/internal/approval"
	"rapport/internal/violation"
)

// leaverWork is what a user looks after, by collection: the field naming
// them and the statuses still open (nil: every record). Deactivating the
// user hands it to their approver. Customers go first: their reassignment
// carries the customer's open plans and scheduled visits along
// (bindCustomers); the other rows catch what is theirs elsewhere.
var leaverWork = []struct {
	collection, field string
	open              []any
}{
	{"customers", "owner", nil},
	{"plans", "owner", []any{"draft", "submitted", "approved"}},
	{"visits", "rep", []any{"scheduled"}},
}

// bindLeavers: a deactivated user's customers, open plans and scheduled
// visits go to their approver (their manager, or their team's manager up
// the chain), in the deactivation's transaction and audited as the admin
// who deactivated them; otherwise nobody would attend them and nobody
// would know (internal/notify tells the approver: HandoverKey). It runs
// around the other user hooks (priority), so the hand-over follows the
// deactivation's own audit entry in the log.
func bindLeavers(app core.App) {
	app.OnRecordUpdate("users").Bind(&hook.Handler[*core.RecordEvent]{Priority: LeaverPriority, Func: func(e *core.RecordEvent) error {
		wasActive := e.Record.Original().GetBool("active")
		if err := e.Next(); err != nil {
			return err
		}
		if !wasActive || e.Record.GetBool("active") {
			return nil
		}
		return handOver(e.App, e.Record)
	}})
}

// LeaverPriority places the hand-over around the other user update hooks
// (default priority 0) and inside the write's transaction (priorityTx); a
// hook reading HandoverKey after e.Next() binds with a lower one.
const LeaverPriority = -1

// HandoverKey (custom data on a deactivated user's record, never
// persisted) carries the Handover their deactivation made, for
// internal/notify to tell the successor in the same transaction.
const HandoverKey = "@rapport.handover"

// Handover is what a leaver's deactivation handed to whom.
type Handover struct {
	Leaver, To *core.Record
	Work       []Count // by collection, in leaverWork's order; only those with records
}

// Count is how many records of a collection.
type Count struct {
	Collection string
	N          int
}

// handOver moves the open work of leaver to their approver and records the
// hand-over on leaver (HandoverKey). With nobody above them and work to hand
// over, the deactivation is refused: an admin reassigns it, or sets a
// manager, first.
func handOver(app core.App, leaver *core.Record) error {
	var successor *core.Record
	if chain := approval.For(app, leaver.Id).Chain; len(chain) > 0 {
		successor = chain[0]
	}
	// what they look after, counted before customers carry their plans and visits along
	h := &Handover{Leaver: leaver, To: successor}
	var work []string
	for _, w := range leaverWork {
		n, err := app.CountRecords(w.collection, leaverWhere(leaver, w.field, w.open))
		if err != nil {
			return err
		}
		if n > 0 {
			h.Work = append(h.Work, Count{w.collection, int(n)})
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
	for _, w := range leaverWork {
		records, err := app.FindAllRecords(w.collection, leaverWhere(leaver, w.field, w.open))
		if err != nil {
			return err
		}
		for _, r := range records {
			r.Set(w.field, successor.Id)
			if w.collection == "plans" && r.GetString("status") == "submitted" {
				if err := routeSubmit(app, r, successor.Id); err != nil {
					return err
				}
			}
			causedBy(r, leaver)
			if err := app.Save(r); err != nil {
				return err
			}
		}
	}
	leaver.Set(HandoverKey, h)
	return nil
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
