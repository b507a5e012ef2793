package sync

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/testkit"
)

// A flush pokes everyone who may view a changed record: its audience keys,
// resolved once (u: users, v: team viewers, t: team lineage, staff), reach
// every user the record's view rule lets in, and not the others named here.
func TestPokeAudience(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	records := map[string]*core.Record{
		"rita's customer": o.Customers["rita"],
		"ed's customer":   o.Customers["ed"],
		"org budget":      o.Budget(t, "org", "warn", 1000),
		"sales budget":    o.Budget(t, "team", "warn", 1000, map[string]any{"team": o.Teams["sales"].Id}),
		"field budget":    o.Budget(t, "team", "warn", 1000, map[string]any{"team": o.Teams["field"].Id}),
		"rob's budget":    o.Budget(t, "rep", "warn", 1000, map[string]any{"rep": o.Users["rob"].Id}),
	}
	notPoked := map[string][]string{
		"rita's customer": {"rob", "ed", "eve"},
		"ed's customer":   {"rita", "mia"},
		"field budget":    {"ed", "eve"},
		"rob's budget":    {"rita", "ed"},
	}
	for what, r := range records {
		changed := map[string]bool{}
		for _, key := range audience(app, r) {
			changed[key] = true
		}
		who := resolve(app, changed)
		for name, user := range o.Users {
			may, err := app.CanAccessRecord(r, &core.RequestInfo{Auth: user}, r.Collection().ViewRule)
			if err != nil {
				t.Fatal(err)
			}
			if may && !who.concerns(user) {
				t.Errorf("%s changed: %s may view it but is not poked", what, name)
			}
		}
		for _, name := range notPoked[what] {
			if who.concerns(o.Users[name]) {
				t.Errorf("%s changed: %s is poked but may not view it", what, name)
			}
		}
	}
}
