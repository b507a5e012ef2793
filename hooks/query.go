package hooks

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

func dbxEq(column string, value any) dbx.Expression {
	return dbx.HashExp{column: value}
}

// userTeam is the team of user id ("" when unknown).
func userTeam(app core.App, id string) string {
	if id == "" {
		return ""
	}
	u, err := app.FindRecordById("users", id)
	if err != nil {
		return ""
	}
	return u.GetString("team")
}
