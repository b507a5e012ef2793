package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/budget"
)

// The sums of the plans and budgets an expense counts in (committed,
// spent) follow every expense write, in its transaction, after its audit
// entry (StageSums); the auto approval of an expense approved at submit
// is written here too.
func bindExpenseSums(app core.App) {
	bind(app.OnRecordCreate("expenses"), StageSums, "rapport.expenses.sums", sumsAfterCreate)
	bind(app.OnRecordUpdate("expenses"), StageSums, "rapport.expenses.sums", sumsAfterUpdate)
}

// submittedKey carries the plan and budgets loaded at submit (as a
// *submitted, by submitExpense at StageRules) to the sums update after the
// write (afterExpenseWrite), in the same transaction: they are not read
// twice. Only this write's submit may fill it: the sums handlers clear it
// first.
const submittedKey = "@rapport.submitted"

type submitted struct {
	plan    *core.Record
	budgets []*core.Record
}

func sumsAfterCreate(e *core.RecordEvent) error {
	e.Record.Set(submittedKey, nil)
	if err := e.Next(); err != nil {
		return err
	}
	return afterExpenseWrite(e.App, nil, e.Record)
}

func sumsAfterUpdate(e *core.RecordEvent) error {
	old := e.Record.Original()
	e.Record.Set(submittedKey, nil)
	if err := e.Next(); err != nil {
		return err
	}
	return afterExpenseWrite(e.App, old, e.Record)
}

// afterExpenseWrite writes the auto approval and moves the sums of the
// plans and budgets an expense write touched from the expense's old share
// to its new one (old is nil on create).
func afterExpenseWrite(app core.App, old, x *core.Record) error {
	if err := autoApproval(app, x); err != nil {
		return err
	}
	sub, _ := x.GetRaw(submittedKey).(*submitted)
	x.Set(submittedKey, nil)
	if old == nil {
		old = core.NewRecord(x.Collection())
	}
	before, after := budget.Share(old), budget.Share(x)
	unmoved := budget.Of(old) == budget.Of(x) && old.GetString("plan") == x.GetString("plan")
	if before == after && (unmoved || before == (budget.Sums{})) {
		return nil
	}
	if err := movePlanSums(app, sub, old, x, before, after); err != nil {
		return err
	}
	return moveBudgetSums(app, sub, old, x, before, after)
}

// autoApproval writes the approval record of an expense approved at submit
// (autoKey, set by its submission's route).
func autoApproval(app core.App, x *core.Record) error {
	if !marked(x, autoKey) {
		return nil
	}
	x.Set(autoKey, nil)
	approvals, err := app.FindCollectionByNameOrId("approvals")
	if err != nil {
		return err
	}
	ap := core.NewRecord(approvals)
	ap.Load(map[string]any{"expense": x.Id, "decision": "approve", "note": "auto"})
	ap.Set(autoKey, true)
	actor.AsServer(ap)
	return app.Save(ap)
}

// movePlanSums moves the expense's share from its old plan to its new one
// (the same plan: the net change); the plan loaded at submit is reused.
func movePlanSums(app core.App, sub *submitted, old, x *core.Record, before, after budget.Sums) error {
	plans := sumChanges{}
	plans.add(old.GetString("plan"), nil, budget.Sums{}.Minus(before))
	plans.add(x.GetString("plan"), nil, after)
	for _, id := range plans.ids {
		plan, err := submittedOr(app, sub, id)
		if err != nil {
			continue // gone with its expenses
		}
		if err := storeSums(app, plan, plans.delta[id], x); err != nil {
			return err
		}
	}
	return nil
}

// submittedOr is plan id: the one loaded at submit, or else read.
func submittedOr(app core.App, sub *submitted, id string) (*core.Record, error) {
	if sub != nil && sub.plan.Id == id {
		return sub.plan, nil
	}
	return app.FindRecordById("plans", id)
}

// moveBudgetSums moves the expense's share out of the budgets that covered
// it and into those that cover it now; the budgets matched at submit are
// reused.
func moveBudgetSums(app core.App, sub *submitted, old, x *core.Record, before, after budget.Sums) error {
	var err error
	budgets := sumChanges{}
	var matched []*core.Record
	if sub != nil {
		matched = sub.budgets
	} else if after != (budget.Sums{}) {
		if matched, err = budget.Matching(app, budget.Of(x)); err != nil {
			return err
		}
	}
	if before != (budget.Sums{}) {
		was := matched
		if budget.Of(old) != budget.Of(x) || after == (budget.Sums{}) {
			if was, err = budget.Matching(app, budget.Of(old)); err != nil {
				return err
			}
		}
		for _, b := range was {
			budgets.add(b.Id, b, budget.Sums{}.Minus(before))
		}
	}
	if after != (budget.Sums{}) {
		for _, b := range matched {
			budgets.add(b.Id, b, after)
		}
	}
	for _, id := range budgets.ids {
		if err := storeSums(app, budgets.records[id], budgets.delta[id], x); err != nil {
			return err
		}
	}
	return nil
}

// sumChanges collects the changes to the sums of plans or budgets, by id
// in first-seen order, so a record the old and new state share is saved
// once with the net change.
type sumChanges struct {
	ids     []string
	delta   map[string]budget.Sums
	records map[string]*core.Record
}

func (c *sumChanges) add(id string, r *core.Record, d budget.Sums) {
	if id == "" || d == (budget.Sums{}) {
		return
	}
	if c.delta == nil {
		c.delta, c.records = map[string]budget.Sums{}, map[string]*core.Record{}
	}
	if _, ok := c.delta[id]; !ok {
		c.ids = append(c.ids, id)
		c.records[id] = r
	}
	c.delta[id] = c.delta[id].Plus(d)
}
