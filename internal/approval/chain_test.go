package approval_test

import (
	"slices"
	"testing"

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
	if first, err := approval.First(app, o.Users["rob"].Id); err != nil || first != o.Users["mia"].Id {
		t.Errorf("first approver of rob: %s %v, want mia", first, err)
	}
}
