package schedule_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/flow"
	"rapport/internal/org"
	"rapport/internal/schedule"
	"rapport/internal/testkit"
)

const complaintsURL = "/api/collections/complaints/records"

// Complaints: who may log and see them, the state machine with its codes,
// and the server fields.
func TestComplaintLifecycle(t *testing.T) {
	app, o := newOrg(t, nil)
	c := testkit.NewClient(t, o)
	acme := o.Customers["rita"].Id

	// a customer out of sight is as good as missing, with a code to show
	for _, who := range []string{"ed", "rob"} {
		if res := c.Do(who, "POST", complaintsURL, map[string]any{"customer": acme, "summary": "late delivery"}); res.Status != 400 || res.Code("customer") != "validation_missing_rel_records" {
			t.Errorf("%s logged a complaint on Acme, out of their sight: %d %s", who, res.Status, res.Body)
		}
	}
	if res := c.Do("rita", "POST", complaintsURL, map[string]any{"summary": "no customer"}); res.Status != 400 || res.Code("customer") == "" {
		t.Errorf("a complaint without a customer: %d %s", res.Status, res.Body)
	}
	if res := c.Do("rita", "POST", complaintsURL, map[string]any{"customer": acme, "summary": "x", "breached": true}); res.Code("breached") != "read_only" {
		t.Errorf("breached sent by a rep: %d %s", res.Status, res.Body)
	}
	res := c.Do("mia", "POST", complaintsURL, map[string]any{"customer": acme, "summary": "late delivery", "channel": "phone",
		"received_at": "2026-03-01 08:00:00.000Z"})
	if res.Status != 200 {
		t.Fatalf("the team's manager logs one: %d %s", res.Status, res.Body)
	}
	got := res.JSON()
	id := got["id"].(string)
	if got["owner"] != o.Users["rita"].Id || got["team"] != o.Teams["field"].Id || got["status"] != "open" ||
		got["response_due"] != "2026-03-02 08:00:00.000Z" || got["severity"] != "normal" {
		t.Errorf("created: %v", got)
	}
	for _, who := range []string{"rita", "mia", "max", "fay"} {
		if res := c.Do(who, "GET", complaintsURL+"/"+id, nil); res.Status != 200 {
			t.Errorf("%s cannot see it: %d", who, res.Status)
		}
	}
	for _, who := range []string{"rob", "ed", "eve"} {
		if res := c.Do(who, "GET", complaintsURL+"/"+id, nil); res.Status != 404 {
			t.Errorf("%s sees it: %d", who, res.Status)
		}
	}

	url := complaintsURL + "/" + id
	for _, step := range []struct {
		body        map[string]any
		field, code string
	}{
		{map[string]any{"status": "closed"}, "status", "invalid_transition"},
		{map[string]any{"status": "acknowledged"}, "first_response", "response_required"},
		{map[string]any{"status": "acknowledged", "first_response": "Called back, replacement on its way."}, "", ""},
		{map[string]any{"status": "open"}, "status", "invalid_transition"},
		{map[string]any{"status": "resolved"}, "resolution", "resolution_required"},
		{map[string]any{"status": "resolved", "resolution": "Replaced."}, "", ""},
		{map[string]any{"status": "closed"}, "", ""},
		{map[string]any{"status": "open"}, "", ""}, // reopened
	} {
		res := c.Do("rita", "PATCH", url, step.body)
		if step.code == "" && res.Status != 200 || step.code != "" && res.Code(step.field) != step.code {
			t.Errorf("%v: %d %s", step.body, res.Status, res.Body)
		}
	}
	final, err := app.FindRecordById("complaints", id)
	if err != nil {
		t.Fatal(err)
	}
	// answered long after its deadline: breached at once, whatever the job's timing
	if final.GetDateTime("responded_at").IsZero() || !final.GetDateTime("resolved_at").IsZero() || !final.GetBool("breached") {
		t.Errorf("responded_at %v, resolved_at %v, breached %v", final.Get("responded_at"), final.Get("resolved_at"), final.Get("breached"))
	}
}

// The breach job marks open complaints past response_due (audited, told to
// the owner and their manager), once; answered ones and early ones stay.
func TestComplaintBreach(t *testing.T) {
	app, o := newOrg(t, nil)
	now := time.Now()
	log := func(summary string, hoursAgo int) string {
		r := testkit.MustCreate(t, app, o.Users["rita"], "complaints", map[string]any{"customer": o.Customers["rita"].Id,
			"summary": summary, "received_at": now.Add(-time.Duration(hoursAgo) * time.Hour)})
		return r.Id
	}
	late, early, answered := log("cold tea", 25), log("rude driver", 23), log("wrong invoice", 30)
	// a phone whose clock is two days ahead does not push the deadline out
	ahead, _ := app.FindRecordById("complaints", log("clock ahead", -48))
	if due := ahead.GetDateTime("response_due").Time(); due.After(time.Now().Add(24 * time.Hour)) {
		t.Errorf("received in the future: due %v", due)
	}
	a, _ := app.FindRecordById("complaints", answered)
	a.Set("status", "acknowledged")
	a.Set("first_response", "Sorry, corrected.")
	if err := flow.Save(app, o.Users["rita"], a); err != nil {
		t.Fatal(err)
	}
	n, err := schedule.Breaches(app, now)
	if err != nil || n != 1 {
		t.Fatalf("breached %d, %v", n, err)
	}
	for id, want := range map[string]bool{late: true, early: false} {
		if r, _ := app.FindRecordById("complaints", id); r.GetBool("breached") != want {
			t.Errorf("%s breached = %v", r.GetString("summary"), !want)
		}
	}
	r := func(id string) *core.Record { rec, _ := app.FindRecordById("complaints", id); return rec }
	if r, _ := app.FindRecordById("complaints", answered); !r.GetBool("breached") {
		t.Errorf("answered 6 hours late, but not breached")
	}
	entries, _ := app.FindAllRecords("audit_log", dbx.HashExp{"record_id": late, "action": "update"})
	if len(entries) != 1 || !containsText(entries[0].GetString("changes"), "breached") {
		t.Errorf("audit of the breach: %d entries", len(entries))
	}
	for _, who := range []string{"rita", "mia"} {
		notes, _ := app.FindAllRecords("notifications", dbx.HashExp{"user": o.Users[who].Id, "kind": "complaint_breached"})
		if len(notes) != 1 || !containsText(notes[0].GetString("title"), "Acme") {
			t.Errorf("%s got %d notices", who, len(notes))
			continue
		}
		// in the user's language (zh-CN by default), times in the org's zone
		due := r(late).GetDateTime("response_due").Time().In(orgZone(t)).Format("2006-01-02 15:04")
		if n := notes[0]; !containsText(n.GetString("title"), "未在时限内答复") || !containsText(n.GetString("body"), due) || n.GetString("link") != "complaints/"+late {
			t.Errorf("%s's breach notice: %q / %q / %q (due %s org time)", who, n.GetString("title"), n.GetString("body"), n.GetString("link"), due)
		}
	}
	if n, err := schedule.Breaches(app, now.Add(time.Hour)); n != 1 || err != nil { // the 23-hour one is now due too
		t.Errorf("an hour later: %d, %v", n, err)
	}
	if n, _ := schedule.Breaches(app, now.Add(time.Hour)); n != 0 {
		t.Errorf("breached again: %d", n)
	}
}

// An open complaint follows its customer to the new owner; a closed one
// stays with who handled it.
func TestComplaintFollowsCustomer(t *testing.T) {
	app, o := newOrg(t, nil)
	acme := o.Customers["rita"].Id
	open := testkit.MustCreate(t, app, o.Users["rita"], "complaints", map[string]any{"customer": acme, "summary": "open one"})
	closed := testkit.MustCreate(t, app, o.Users["rita"], "complaints", map[string]any{"customer": acme, "summary": "old one"})
	for _, step := range []map[string]any{{"status": "resolved", "resolution": "done"}, {"status": "closed"}} {
		r, _ := app.FindRecordById("complaints", closed.Id)
		r.Load(step)
		if err := flow.Save(app, o.Users["rita"], r); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := app.FindRecordById("customers", acme)
	c.Set("owner", o.Users["ed"].Id)
	if err := flow.Save(app, o.Users["ada"], c); err != nil {
		t.Fatal(err)
	}
	if r, _ := app.FindRecordById("complaints", open.Id); r.GetString("owner") != o.Users["ed"].Id || r.GetString("team") != o.Teams["east"].Id {
		t.Errorf("open complaint: owner %s team %s", r.GetString("owner"), r.GetString("team"))
	}
	if r, _ := app.FindRecordById("complaints", closed.Id); r.GetString("owner") != o.Users["rita"].Id {
		t.Errorf("closed complaint moved to %s", r.GetString("owner"))
	}
	var auds []string
	if err := app.DB().Select("aud").From("_sync_changes").Where(dbx.HashExp{"rid": open.Id}).Column(&auds); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"u:" + o.Users["rita"].Id, "u:" + o.Users["ed"].Id, "v:" + o.Teams["east"].Id} {
		if !slices.Contains(auds, want) {
			t.Errorf("no change-log row for %s: %v", want, auds)
		}
	}
}

func containsText(s, sub string) bool { return strings.Contains(s, sub) }

func orgZone(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(org.DefaultTimezone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
