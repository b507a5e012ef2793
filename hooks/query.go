package hooks

import (
	"database/sql"
	"errors"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/txstate"
)

// The lookups on every write read the one or two columns they need rather
// than whole records: hydrating a record costs more than the query itself.

// userTeam is the team of user id ("" when unknown); a failed query is an
// error, so that a record is never saved with a team it lost to one.
func userTeam(app core.App, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	return txstate.Read(app, "users", "team/"+id, func() (string, error) {
		var team string
		err := app.DB().Select("team").From("users").Where(dbx.HashExp{"id": id}).Row(&team)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil // an unknown user: the relation field's validation says so
		}
		return team, err
	})
}

// viewsTeam reports whether user is among team's viewers: its manager and
// the managers of the teams above it.
func viewsTeam(app core.App, teamID, userID string) (bool, error) {
	if teamID == "" || userID == "" {
		return false, nil
	}
	var viewers types.JSONArray[string]
	err := app.DB().Select("viewers").From("teams").Where(dbx.HashExp{"id": teamID}).Row(&viewers)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return slices.Contains(viewers, userID), err
}

// customerRef is what the ownership rules need of a customer.
type customerRef struct {
	Id    string `db:"id"`
	Owner string `db:"owner"`
}

func findCustomer(app core.App, id string) (customerRef, error) {
	return txstate.Read(app, "customers", "ref/"+id, func() (customerRef, error) {
		if known, ok := txstate.Known(app, "customers", id); ok {
			return customerRef{Id: known.Id, Owner: known.GetString("owner")}, nil
		}
		var c customerRef
		err := app.DB().Select("id", "owner").From("customers").Where(dbx.HashExp{"id": id}).One(&c)
		return c, err
	})
}

// findPlanCustomer is the customer of plan id, in one query.
func findPlanCustomer(app core.App, planId string) (customerRef, error) {
	var c customerRef
	err := app.DB().Select("c.id", "c.owner").From("plans p").
		InnerJoin("customers c", dbx.NewExp("c.id = p.customer")).
		Where(dbx.HashExp{"p.id": planId}).One(&c)
	return c, err
}
