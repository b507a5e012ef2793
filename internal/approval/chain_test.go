package approval_test

import (
	"slices"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/approval"
	"rapport/internal/testkit"
)

// TestChainClimbsPastATeamWithoutManager: a team with no manager of its
// own hands its members' requests to the nearest managed team above it;
// the chain does not end at it (which would skip every manager and send
// everything to finance).
func TestChainClimbsPastATeamWithoutManager(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	o.Teams["unmanaged"] = testkit.MustCreate(t, app, nil, "teams", map[string]any{"name": "unmanaged", "parent": o.Teams["field"].Id})
	o.MoveUser(t, "rob", "unmanaged")
	var chain []string
	for _, u := range approval.For(app, o.Users["rob"].Id).Chain {
		chain = append(chain, u.GetString("name"))
	}
	if want := []string{"mia", "max", "dana"}; !slices.Equal(chain, want) {
		t.Errorf("chain of rob in a team without manager: %v, want %v", chain, want)
	}
	if first, err := approval.First(app, o.Users["rob"].Id, ""); err != nil || first != o.Users["mia"].Id {
		t.Errorf("first approver of rob: %s %v, want mia", first, err)
	}
}

// TestApproveAtTheApprovalLimit: an approval is final when the decider's
// approval_limit covers the amount, up to exactly the limit; one minor
// unit above it, the request moves to the next person in the chain.
func TestApproveAtTheApprovalLimit(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	route := approval.For(app, o.Users["rita"].Id)
	mia := o.Users["mia"]
	limit := int64(mia.GetInt("approval_limit"))
	for _, c := range []struct {
		amount int64
		want   approval.Outcome
	}{
		{limit - 1, approval.Outcome{Final: true}},
		{limit, approval.Outcome{Final: true}},
		{limit + 1, approval.Outcome{Next: o.Users["max"].Id}},
	} {
		if got, err := route.Approve(mia, mia, c.amount, false); err != nil || got != c.want {
			t.Errorf("mia (limit %d) approves %d: %+v %v, want %+v", limit, c.amount, got, err, c.want)
		}
	}
}

// TestFinanceInTheChainIsBoundByItsLimit: a finance user who stands in the
// chain as someone's manager decides there as any approver does, within
// their approval_limit; only at the finance level (the chain run out) is a
// finance approval final whatever the amount.
func TestFinanceInTheChainIsBoundByItsLimit(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	dana, fay := o.Reload(t, o.Users["dana"]), o.Reload(t, o.Users["fay"])
	dana.Set("manager", fay.Id)
	fay.Set("approval_limit", testkit.Yuan(10))
	for _, u := range []*core.Record{dana, fay} {
		if err := testkit.Save(app, nil, u); err != nil {
			t.Fatal(err)
		}
	}
	route := approval.For(app, o.Users["rita"].Id)
	mia := o.Users["mia"]
	if !route.MayDecide(fay, mia) {
		t.Fatal("fay, above mia in rita's chain, may not decide")
	}
	// fay's limit does not cover 5,000 yuan: the chain ends with her, so
	// the request goes on to the finance level
	got, err := route.Approve(fay, mia, testkit.Yuan(5000), false)
	if err != nil || got.Final || got.Next != fay.Id {
		t.Errorf("fay (limit 10 yuan) approves 5,000 yuan from within the chain: %+v %v, want not final, on to finance", got, err)
	}
	// at the finance level, her approval is final
	if got, err := route.Approve(fay, fay, testkit.Yuan(5000), false); err != nil || !got.Final {
		t.Errorf("fay approves 5,000 yuan at the finance level: %+v %v, want final", got, err)
	}
}
