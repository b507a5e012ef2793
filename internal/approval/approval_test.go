package approval_test

import (
	"slices"
	"testing"

	"rapport/internal/approval"
	"rapport/internal/testkit"
)

func TestChain(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	names := func(requester string) []string {
		var out []string
		for _, u := range approval.For(app, o.Users[requester].Id).Chain {
			out = append(out, u.GetString("name"))
		}
		return out
	}
	set := func(user, field string, value any) {
		u := o.Reload(t, o.Users[user])
		u.Set(field, value)
		if err := testkit.Save(app, nil, u); err != nil {
			t.Fatal(err)
		}
	}
	check := func(requester string, want ...string) {
		t.Helper()
		if got := names(requester); !slices.Equal(got, want) {
			t.Errorf("chain of %s: %v, want %v", requester, got, want)
		}
	}

	check("rita", "mia", "max", "dana")
	check("mia", "max", "dana") // she manages her own team: the parent's manager
	check("ed", "eve", "dana")
	check("dana") // top of the tree
	check("fay", "dana")

	set("rita", "manager", o.Users["eve"].Id) // an explicit manager overrides the team
	check("rita", "eve", "dana")
	set("rita", "manager", "")

	set("max", "active", false) // inactive users are skipped, the walk goes on
	check("rita", "mia", "dana")
	set("max", "active", true)

	set("dana", "manager", o.Users["mia"].Id) // a cycle ends the chain
	check("rita", "mia", "max", "dana")
	check("max", "dana", "mia")
}

func TestFinanceIsDeterministic(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	testkit.MustCreate(t, app, nil, "users", map[string]any{"name": "fin2", "role": "finance", "active": true,
		"email": "fin2@example.com", "password": "password123", "passwordConfirm": "password123"})
	for range 3 {
		if id, err := approval.For(app, o.Users["rita"].Id).Finance(); err != nil || id != o.Users["fay"].Id {
			t.Fatalf("finance: %s %v", id, err)
		}
	}
	// The requester is never their own approver.
	if id, _ := approval.For(app, o.Users["fay"].Id).Finance(); id == o.Users["fay"].Id {
		t.Error("fay routed to herself")
	}
}

func TestMayDecide(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	u := o.Users
	route := approval.For(app, u["rita"].Id)
	for _, c := range []struct {
		decider, current string
		want             bool
	}{
		{"mia", "mia", true}, {"max", "mia", true}, {"dana", "mia", true}, {"fay", "mia", false}, {"rob", "mia", false},
		{"mia", "max", false}, {"dana", "max", true},
		{"fay", "fay", true}, {"dana", "fay", false}, {"ada", "fay", false},
		// the approver left the chain (e.g. moved team): the chain or finance decides
		{"mia", "eve", true}, {"fay", "eve", true}, {"ed", "eve", false},
		// ... and no longer decides themself
		{"eve", "eve", false},
	} {
		if got := route.MayDecide(u[c.decider], u[c.current]); got != c.want {
			t.Errorf("%s deciding while %s is the approver: %v, want %v", c.decider, c.current, got, c.want)
		}
	}
}
