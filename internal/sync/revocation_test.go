package sync_test

import (
	"context"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/syncclient"
	"rapport/internal/testkit"
)

// TestRevocationMatrix: a record leaves a user's scope without being deleted
// (customer reassigned, rep moved team, manager replaced). Whether the
// change falls before the device's cursor, exactly on a page boundary, or
// after it while the record was also edited, the device ends up with
// exactly one delete and the record never comes back.
func TestRevocationMatrix(t *testing.T) {
	type scenario struct {
		name, viewer string
		target       func(o *testkit.Org) *core.Record
		change       func(t testing.TB, o *testkit.Org)
	}
	reassign := func(t testing.TB, o *testkit.Org) {
		c := o.Reload(t, o.Customers["rita"])
		c.Set("owner", o.Users["ed"].Id)
		if err := testkit.Save(o.App, o.Users["ada"], c); err != nil {
			t.Fatal(err)
		}
	}
	scenarios := []scenario{
		{"customer reassigned, old owner", "rita", func(o *testkit.Org) *core.Record { return o.Customers["rita"] }, reassign},
		{"customer reassigned, old manager", "mia", func(o *testkit.Org) *core.Record { return o.Customers["rita"] }, reassign},
		{"rep moved team", "mia", func(o *testkit.Org) *core.Record { return o.Customers["rob"] },
			func(t testing.TB, o *testkit.Org) { o.MoveUser(t, "rob", "east") }},
		{"manager replaced", "mia", func(o *testkit.Org) *core.Record { return o.Customers["rita"] },
			func(t testing.TB, o *testkit.Org) {
				team := o.Reload(t, o.Teams["field"])
				team.Set("manager", o.Users["eve"].Id)
				if err := testkit.Save(o.App, nil, team); err != nil {
					t.Fatal(err)
				}
			}},
	}
	edit := func(t testing.TB, o *testkit.Org, r *core.Record, address string) {
		fresh := o.Reload(t, r)
		fresh.Set("address", address)
		if err := testkit.Save(o.App, nil, fresh); err != nil {
			t.Fatal(err)
		}
	}

	for _, s := range scenarios {
		for _, timing := range []string{"before", "at", "after"} {
			t.Run(s.name+"/"+timing, func(t *testing.T) {
				e := newEnv(t)
				target := s.target(e.o)
				var seen []string // ops the device received for target
				device := e.client(s.viewer, s.viewer+"device1")
				device.PullLimit = 1
				device.OnChange = func(coll, id string, r syncclient.Record, op string) {
					if id == target.Id {
						seen = append(seen, op)
					}
				}
				pull := func() {
					t.Helper()
					if err := device.Pull(context.Background()); err != nil {
						t.Fatal(err)
					}
				}

				switch timing {
				case "before": // the change precedes the device's first cursor
					s.change(t, e.o)
					pull()
				case "at": // the device pulls page by page right across the change
					pull()
					s.change(t, e.o)
					pull()
				case "after": // offline across an edit, the change and another edit
					pull()
					edit(t, e.o, target, "before the change")
					s.change(t, e.o)
					edit(t, e.o, target, "after the change")
					pull()
				}
				// later edits never resurrect it
				edit(t, e.o, target, "much later")
				pull()

				want := []string{"upsert", "delete"}
				if timing == "before" {
					want = nil
				}
				if len(seen) != len(want) || (len(want) > 0 && (seen[0] != want[0] || seen[1] != want[1])) {
					t.Fatalf("%s received %v for the record, want %v", s.viewer, seen, want)
				}
				if device.Store()["customers"][target.Id] != nil {
					t.Fatalf("%s still holds the record", s.viewer)
				}
				e.converged(s.viewer, device)
			})
		}
	}
}

// TestScopeGrowthResets: a user whose scope grows (new team to manage,
// promoted to finance) gets reset: true and a snapshot with the new records.
func TestScopeGrowthResets(t *testing.T) {
	e := newEnv(t)
	eve := e.client("eve", "evedevice1")
	mustSync(t, eve)
	if eve.Store()["customers"][e.o.Customers["rita"].Id] != nil {
		t.Fatal("eve sees rita's customer before managing field")
	}
	team := e.o.Reload(t, e.o.Teams["field"])
	team.Set("manager", e.o.Users["eve"].Id)
	if err := testkit.Save(e.app, nil, team); err != nil {
		t.Fatal(err)
	}
	mustSync(t, eve)
	if eve.Store()["customers"][e.o.Customers["rita"].Id] == nil {
		t.Fatal("eve does not get field's customers after becoming its manager")
	}
	e.converged("eve", eve)

	// demoted from finance: everything outside the new scope goes
	fay := e.client("fay", "faydevice1")
	mustSync(t, fay)
	if len(fay.Store()["customers"]) != 3 {
		t.Fatalf("finance sees %d customers", len(fay.Store()["customers"]))
	}
	u := e.o.Reload(t, e.o.Users["fay"])
	u.Set("role", "rep")
	if err := testkit.Save(e.app, nil, u); err != nil {
		t.Fatal(err)
	}
	mustSync(t, fay)
	if len(fay.Store()["customers"]) != 0 {
		t.Fatalf("a demoted user still holds %d customers", len(fay.Store()["customers"]))
	}
	e.converged("fay", fay)
}
