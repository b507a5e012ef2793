package sync_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"rapport/internal/org"
	"rapport/internal/syncclient"
	"rapport/internal/testkit"
	"rapport/internal/violation"
)

// TestSimulation: devices of reps, managers and finance work offline and
// sync over a faulty network while an admin reassigns customers and moves
// reps between teams. Every completed pull must equal the user's REST view,
// no pull may ever deliver a record the user may not view, and at the end
// every mutation has exactly one outcome, the same on device and server.
//
// Replay a failure with SYNC_SIM_SEED=<seed> (and SYNC_SIM_STEPS=<n>).
func TestSimulation(t *testing.T) {
	seeds := []int64{1, 2}
	if s := os.Getenv("SYNC_SIM_SEED"); s != "" {
		seed, _ := strconv.ParseInt(s, 10, 64)
		seeds = []int64{seed}
	}
	steps := 600
	if s := os.Getenv("SYNC_SIM_STEPS"); s != "" {
		steps, _ = strconv.Atoi(s)
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { simulate(t, seed, steps) })
	}
}

type device struct {
	user string
	c    *syncclient.Client
}

func simulate(t *testing.T, seed int64, steps int) {
	e := newEnv(t)
	rng := rand.New(rand.NewSource(seed))
	net := &faulty{rng: rand.New(rand.NewSource(seed * 7919))}
	settings, err := org.LoadSettings(e.app)
	if err != nil {
		t.Fatal(err)
	}
	today := settings.Today(time.Now())

	var devices []*device
	for _, u := range []string{"rita", "rita", "rob", "ed", "mia", "eve", "fay", "dana"} {
		id := fmt.Sprintf("%sdevice%03d", u, len(devices))
		c := e.client(u, id)
		c.Do = net.Do
		c.PushLimit = 1 + rng.Intn(8)
		c.PullLimit = 2 + rng.Intn(20)
		devices = append(devices, &device{user: u, c: c})
	}
	ctx := context.Background()
	uploads, staleUploads := 0, 0

	pick := func(d *device, coll string, ok func(syncclient.Record) bool) syncclient.Record {
		var ids []string
		for id := range d.c.Store()[coll] {
			if r := d.c.View(coll, id); r != nil && ok(r) {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		slices.Sort(ids)
		return d.c.View(coll, ids[rng.Intn(len(ids))])
	}
	me := func(d *device) string { return e.o.Users[d.user].Id }
	everything := func(syncclient.Record) bool { return true }

	// work is one offline action of a device's user.
	work := func(d *device) {
		mine := func(r syncclient.Record) bool { return r["owner"] == me(d) || r["rep"] == me(d) }
		switch d.user {
		case "mia", "eve", "dana":
			waiting := func(r syncclient.Record) bool {
				return r["status"] == "submitted" && (r["approver"] == me(d) || rng.Intn(4) == 0)
			}
			if p := pick(d, "plans", waiting); p != nil {
				d.c.Create("approvals", map[string]any{"plan": p["id"], "decision": []string{"approve", "approve", "approve", "reject"}[rng.Intn(4)]})
			} else if x := pick(d, "expenses", waiting); x != nil {
				d.c.Create("approvals", map[string]any{"expense": x["id"], "decision": "approve"})
			}
			return
		case "fay":
			if x := pick(d, "expenses", func(r syncclient.Record) bool { return r["status"] == "approved" }); x != nil {
				d.c.Update("expenses", x["id"].(string), map[string]any{"status": "paid"})
			}
			return
		}
		switch rng.Intn(9) {
		case 0:
			d.c.Create("customers", map[string]any{"name": fmt.Sprintf("Customer %d", rng.Intn(1e6)),
				"annual_contract_amount": testkit.Yuan(int64(rng.Intn(2_000_000)))})
		case 1:
			if c := pick(d, "customers", mine); c != nil {
				d.c.Create("plans", plan(c["id"].(string)))
			}
		case 2:
			if p := pick(d, "plans", func(r syncclient.Record) bool { return mine(r) && r["status"] == "draft" }); p != nil {
				d.c.Update("plans", p["id"].(string), map[string]any{"status": "submitted"})
			}
		case 3:
			if c := pick(d, "customers", mine); c != nil {
				d.c.Create("visits", map[string]any{"customer": c["id"], "due_date": today})
			}
		case 4:
			if v := pick(d, "visits", mine); v != nil {
				d.c.Update("visits", v["id"].(string), map[string]any{"notes": fmt.Sprintf("note %d", rng.Intn(1e6))})
			}
		case 5:
			if p := pick(d, "plans", func(r syncclient.Record) bool { return mine(r) && r["status"] == "approved" }); p != nil {
				d.c.Create("expenses", map[string]any{"plan": p["id"], "category": "meal",
					"amount": 1000 + rng.Intn(40000), "incurred_on": today})
			}
		case 6: // attach the receipt (online, multipart), then queue the submit
			if x := pick(d, "expenses", func(r syncclient.Record) bool { return mine(r) && r["status"] == "draft" }); x != nil {
				if x["receipt"] == "" && rng.Intn(4) > 0 {
					receipt := append([]byte("\x89PNG\r\n\x1a\n"), fmt.Sprint(rng.Int63())...)
					switch err := d.c.Upload(ctx, "expenses", x["id"].(string), "receipt", "receipt.png", receipt); {
					case err == nil:
						uploads++
					case errors.Is(err, syncclient.ErrRetry):
					case editableDraft(e, d.user, x["id"].(string)):
						t.Fatalf("%s: upload: %v", d.c.ID, err)
					default:
						// the device's copy was stale (the expense moved away
						// and back, or was submitted, since its last pull):
						// the server rightly refuses
						staleUploads++
					}
				}
				d.c.Update("expenses", x["id"].(string), map[string]any{"status": "submitted"})
			}
		case 7:
			if v := pick(d, "visits", func(r syncclient.Record) bool { return mine(r) && r["status"] == "scheduled" }); v != nil {
				d.c.Delete("visits", v["id"].(string))
			}
		case 8:
			if c := pick(d, "customers", everything); c != nil {
				d.c.Update("customers", c["id"].(string), map[string]any{"address": fmt.Sprintf("%d Main St", rng.Intn(1000))})
			}
		}
	}

	// admin is the dashboard: reassign a customer, or move a rep.
	reps := []string{"rita", "rob", "ed"}
	admin := func() {
		if rng.Intn(2) == 0 {
			var all []string
			if err := e.app.DB().Select("id").From("customers").OrderBy("id").Column(&all); err != nil || len(all) == 0 {
				return
			}
			c, err := e.app.FindRecordById("customers", all[rng.Intn(len(all))])
			if err != nil {
				t.Fatal(err)
			}
			c.Set("owner", e.o.Users[reps[rng.Intn(len(reps))]].Id)
			if err := testkit.Save(e.app, e.o.Users["ada"], c); err != nil {
				t.Fatalf("reassign: %v", err)
			}
			return
		}
		e.o.MoveUser(t, reps[rng.Intn(len(reps))], []string{"field", "east"}[rng.Intn(2)])
	}

	// sync runs one device's push and pull over the network; every record
	// a pull delivers must be viewable by the user right then.
	sync := func(d *device) {
		var delivered [][2]string
		d.c.OnChange = func(coll, id string, r syncclient.Record, op string) {
			if op == "upsert" {
				delivered = append(delivered, [2]string{coll, id})
			}
		}
		err := d.c.Sync(ctx)
		for _, ref := range delivered {
			if status, _ := e.call(d.user, "GET", "/api/collections/"+ref[0]+"/records/"+ref[1], nil); status != 200 {
				t.Fatalf("step: %s received %s/%s which they may not view (%d)", d.c.ID, ref[0], ref[1], status)
			}
		}
		switch {
		case err == nil:
			e.converged(d.user, d.c)
		case !errors.Is(err, syncclient.ErrRetry):
			t.Fatalf("%s: %v", d.c.ID, err)
		}
	}

	for step := 0; step < steps && !t.Failed(); step++ {
		d := devices[rng.Intn(len(devices))]
		switch r := rng.Intn(100); {
		case r < 55:
			work(d)
		case r < 62:
			admin()
		default:
			sync(d)
		}
	}

	// the network heals: late copies arrive, then everyone syncs
	net.deliverHeld(len(net.held))
	net.off = true
	for _, d := range devices {
		for i := 0; d.c.Pending() > 0 || i == 0; i++ {
			if err := d.c.Sync(ctx); err != nil && (i > 3 || !errors.Is(err, syncclient.ErrRetry)) {
				t.Fatalf("%s: final sync: %v", d.c.ID, err)
			}
		}
	}
	statuses := map[string]int{}
	for _, d := range devices {
		if err := d.c.Pull(ctx); err != nil {
			t.Fatal(err)
		}
		e.converged(d.user, d.c)
		checkOutcomes(t, e, d.c, statuses)
	}
	t.Logf("seed %d: outcomes %v; %d receipts uploaded, %d refused as stale; network dropped %d, lost %d responses, duplicated %d, delayed %d",
		seed, statuses, uploads, staleUploads, net.dropped, net.lost, net.dupes, net.delayed)
	if statuses["applied"] == 0 || net.lost == 0 || net.delayed == 0 {
		t.Fatal("the simulation exercised too little")
	}
}

// editableDraft reports whether user may change expense id's receipt right
// now: it is their draft on the server.
func editableDraft(e *env, user, id string) bool {
	status, r := e.call(user, "GET", "/api/collections/expenses/records/"+id, nil)
	return status == 200 && r["status"] == "draft" && r["rep"] == e.o.Users[user].Id
}

// checkOutcomes: every mutation id the device issued has exactly one
// outcome, and the device and the server agree on it.
func checkOutcomes(t *testing.T, e *env, c *syncclient.Client, statuses map[string]int) {
	t.Helper()
	var rows []struct {
		ID     int64  `db:"id"`
		Status string `db:"status"`
	}
	err := e.app.DB().Select("id", "status").From("_sync_mutations").
		Where(dbx.HashExp{"client": c.ID}).OrderBy("id").All(&rows)
	if err != nil {
		t.Fatal(err)
	}
	out := c.Outcomes()
	if int64(len(rows)) != c.Issued() || int64(len(out)) != c.Issued() {
		t.Fatalf("%s issued %d mutations; server recorded %d outcomes, device %d", c.ID, c.Issued(), len(rows), len(out))
	}
	for i, r := range rows {
		if r.ID != int64(i+1) || out[r.ID].Status != r.Status {
			t.Fatalf("%s mutation %d: server %q, device %q", c.ID, r.ID, r.Status, out[r.ID].Status)
		}
		statuses[r.Status]++
		if r.Status == "rejected" {
			field, code := violation.Code(out[r.ID].Error)
			statuses[fmt.Sprintf("rejected %d %s.%s", out[r.ID].Error.Status, field, code)]++
		}
	}
	if c.Pending() != 0 {
		t.Fatalf("%s still has %d pending mutations", c.ID, c.Pending())
	}
}
