package txstate_test

import (
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/testkit"
	"rapport/internal/txstate"
)

// A transaction reads a row once until it writes the row's table; outside
// a transaction, or once it has ended, every read goes to the database.
func TestReadOncePerTransaction(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	txstate.Watch(app)
	rita := o.Users["rita"].Id
	loads := 0
	team := func(app core.App) string {
		t.Helper()
		v, err := txstate.Read(app, "users", "test.team/"+rita, func() (string, error) {
			loads++
			var team string
			err := app.DB().Select("team").From("users").Where(dbx.HashExp{"id": rita}).Row(&team)
			return team, err
		})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	field, east := o.Teams["field"].Id, o.Teams["east"].Id

	err := app.RunInTransaction(func(tx core.App) error {
		if team(tx) != field || team(tx) != field || loads != 1 {
			t.Errorf("two reads in a transaction: %d loads, want 1", loads)
		}
		u, err := tx.FindRecordById("users", rita)
		if err != nil {
			return err
		}
		u.Set("team", east)
		actor.AsServer(u)
		if err := tx.Save(u); err != nil {
			return err
		}
		if got := team(tx); got != east || loads != 2 {
			t.Errorf("after the transaction moved her: team %s (%d loads), want east read again", got, loads)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	team(app)
	team(app)
	if loads != 4 {
		t.Errorf("outside a transaction: %d loads, want every read (4)", loads)
	}
	if n := txstate.Live(); n != 0 {
		t.Errorf("%d ended transactions still hold state", n)
	}
}

// Records a transaction handed to Know are Known until it writes their
// table, and never outside a transaction.
func TestKnownRecords(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	txstate.Watch(app)
	rita := o.Users["rita"]
	if txstate.Know(app, rita); known(app, rita.Id) {
		t.Error("known outside a transaction")
	}
	err := app.RunInTransaction(func(tx core.App) error {
		if known(tx, rita.Id) {
			t.Error("known before Know")
		}
		txstate.Know(tx, rita)
		if !known(tx, rita.Id) {
			t.Error("not known after Know")
		}
		u, err := tx.FindRecordById("users", o.Users["mia"].Id)
		if err != nil {
			return err
		}
		u.Set("name", "Mia Renamed")
		actor.AsServer(u)
		if err := tx.Save(u); err != nil {
			return err
		}
		if known(tx, rita.Id) {
			t.Error("still known after the transaction wrote users")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func known(app core.App, id string) bool {
	_, ok := txstate.Known(app, "users", id)
	return ok
}
