package schedule

import "github.com/pocketbase/pocketbase/core"

// Current is current, for the tests of the read-ahead.
var Current = current

// PlanAhead plans every active customer as Run does, with one difference:
// between reading them ahead and planning them, change runs (a rep's
// write landing meanwhile).
func PlanAhead(app core.App, day string, change func()) (Result, error) {
	p, err := newPlanner(app, day)
	if err != nil {
		return Result{}, err
	}
	b := <-p.readAhead(app, "")
	if b.err != nil {
		return Result{}, b.err
	}
	change()
	err = app.RunInTransaction(func(tx core.App) error { return p.plan(tx, b.ids, &b) })
	return p.res, err
}

// NextID is the id the job will give the next visit it creates.
func NextID() string { return idPrefix + pad36(idCount.Load()+1, 6) }
