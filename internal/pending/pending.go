// Package pending answers "who is waiting on whom": the plans and expenses
// submitted for a decision, by the approver they wait for, and what an
// approver needs to know about each (requester, customer, amount, flags,
// what remains of the plan and budgets after it). The approval digest and
// the one-click link pages read it.
package pending

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/approval"
	"rapport/internal/budget"
	"rapport/internal/org"
)

// Requests are the collections whose records wait for approvers, with the
// field naming the requester.
var Requests = map[string]string{"plans": "owner", "expenses": "rep"}

// Waiting lists every submitted plan and expense by the id of each user
// whose queue holds it: its `approver`, and for a request at the finance
// level (its approver is a finance user) every active finance user other
// than its requester (approval.InQueueOf): any of them may decide it.
func Waiting(app core.App) (map[string][]*core.Record, error) {
	finance, err := approval.ActiveFinance(app)
	if err != nil {
		return nil, err
	}
	approvers := map[string]*core.Record{}
	byApprover := map[string][]*core.Record{}
	for _, collection := range []string{"plans", "expenses"} {
		records, err := app.FindAllRecords(collection,
			dbx.HashExp{"status": "submitted"}, dbx.Not(dbx.HashExp{"approver": ""}))
		if err != nil {
			return nil, err
		}
		for _, r := range records {
			id := r.GetString("approver")
			byApprover[id] = append(byApprover[id], r)
			current, ok := approvers[id]
			if !ok {
				current, _ = app.FindRecordById("users", id)
				approvers[id] = current
			}
			for _, f := range finance {
				if f.Id != id && approval.InQueueOf(current, f, r.GetString(Requests[collection])) {
					byApprover[f.Id] = append(byApprover[f.Id], r)
				}
			}
		}
	}
	return byApprover, nil
}

// Item is what an approver sees of one request.
type Item struct {
	Collection string // plans or expenses
	Id         string
	Version    int
	Expense    bool
	What       string // the plan's title, or the expense's category and description
	Requester  string
	Customer   string
	Amount     int64 // minor units: the plan's budget or the expense's amount
	Currency   string
	Flags      []string
	PlanLeft   int64        // what remains of the plan (budget − committed) after it
	Budgets    []BudgetLeft // the budgets the expense counts against, after it
	Record     *core.Record `json:"-"`
}

// BudgetLeft is what remains of one budget.
type BudgetLeft struct {
	Name string
	Left int64
}

// Describe builds the Item of r, a plan or an expense. A submitted
// expense already counts in its plan's and budgets' committed sums, so
// what they have left is what remains after it; a plan's is its asked
// budget less what its expenses committed.
func Describe(app core.App, r *core.Record) (*Item, error) {
	settings, err := org.LoadSettings(app)
	if err != nil {
		return nil, err
	}
	it := &Item{Collection: r.Collection().Name, Id: r.Id, Version: r.GetInt("version"),
		Expense: r.Collection().Name == "expenses", Currency: settings.Currency, Record: r}
	requester, _ := app.FindRecordById("users", r.GetString(Requests[it.Collection]))
	if requester != nil {
		it.Requester = requester.GetString("name")
	}
	plan := r
	if it.Expense {
		it.Amount = int64(r.GetInt("amount"))
		it.What = r.GetString("category")
		if d := r.GetString("description"); d != "" {
			it.What += ": " + d
		}
		it.Flags = r.GetStringSlice("flags")
		if plan, err = app.FindRecordById("plans", r.GetString("plan")); err != nil {
			return nil, err
		}
		it.PlanLeft = int64(plan.GetInt("approved_budget") - plan.GetInt("committed"))
		budgets, err := budget.Matching(app, budget.Of(r))
		if err != nil {
			return nil, err
		}
		for _, b := range budgets {
			it.Budgets = append(it.Budgets, BudgetLeft{Name: b.GetString("name"), Left: int64(b.GetInt("amount") - b.GetInt("committed"))})
		}
	} else {
		it.Amount = int64(r.GetInt("budget"))
		it.What = r.GetString("title")
		it.PlanLeft = int64(r.GetInt("budget") - r.GetInt("committed"))
	}
	if c, err := app.FindRecordById("customers", plan.GetString("customer")); err == nil {
		it.Customer = c.GetString("name")
	}
	return it, nil
}
