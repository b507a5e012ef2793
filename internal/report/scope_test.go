package report

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

// ruleFor settles a list rule from the caller alone only when the caller's
// own fields decide it for every record.
func TestRuleFor(t *testing.T) {
	users := core.NewAuthCollection("users")
	users.Fields.Add(&core.SelectField{Name: "role", Values: []string{"rep", "manager", "director", "finance", "admin"}, MaxSelect: 1},
		&core.RelationField{Name: "team", CollectionId: "teams", MaxSelect: 1})
	user := func(role string) *core.Record {
		u := core.NewRecord(users)
		u.Id = "user" + role
		u.Set("role", role)
		u.Set("team", "t1")
		return u
	}
	// the expenses' list rule (migration 1700000001)
	rule := `@request.auth.id != "" && @request.auth.collectionName = "users" && (rep = @request.auth.id || ` +
		`approver = @request.auth.id || team.viewers.id ?= @request.auth.id || ` +
		`@request.auth.role = "finance" || @request.auth.role = "admin")`
	for _, c := range []struct {
		rule, as string
		want     verdict
	}{
		{rule, "finance", yes},
		{rule, "admin", yes},
		{rule, "rep", depends},
		{rule, "manager", depends},
		{`@request.auth.role = "finance"`, "rep", no},
		{`@request.auth.role = "finance" || rep = @request.auth.id`, "finance", yes},
		{`@request.auth.role = "finance" && rep = @request.auth.id`, "finance", depends},
		{`@request.auth.role = "finance" && rep = @request.auth.id || team = ""`, "finance", depends}, // mixed: never simplified
		{`@request.auth.team = "t1" || rep = @request.auth.id`, "rep", depends},                       // relations are not read
		{`@request.auth.team.ancestors.id ?= team`, "director", depends},
	} {
		if got := ruleFor(c.rule, user(c.as)); got != c.want {
			t.Errorf("%s for %s: %v, want %v", c.rule, c.as, got, c.want)
		}
	}
}
