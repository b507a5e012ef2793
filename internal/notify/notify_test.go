package notify_test

import (
	"errors"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/mailer"

	"rapport/internal/mail/mailtest"
	"rapport/internal/notify"
	"rapport/internal/sync"
	"rapport/internal/testkit"
)

func setup(t *testing.T) (*tests.TestApp, *testkit.Org, *testkit.Client) {
	t.Helper()
	app := testkit.NewApp(t)
	sync.Register(app)
	notify.Register(app)
	o := testkit.NewOrg(t, app)
	return app, o, testkit.ServeClient(t, o)
}

// A notice reaches only its user: Rita lists and marks hers, Rob sees none
// and cannot open or mark hers; only read_at may change; nobody creates
// one through the API; a sync pull gives each user their own.
func TestNoticeSeenOnlyByItsUser(t *testing.T) {
	app, o, c := setup(t)
	rita, rob := o.Users["rita"].Id, o.Users["rob"].Id
	for _, n := range []notify.Notice{{User: rita, Kind: "decision", Title: "Expense approved"}, {User: rob, Kind: "decision", Title: "Plan rejected"}} {
		if err := notify.Send(app, n); err != nil {
			t.Fatal(err)
		}
	}

	mine := c.Do("rita", "GET", "/api/collections/notifications/records", nil).JSON()
	items, _ := mine["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["title"] != "Expense approved" {
		t.Fatalf("rita's notifications: %v", mine)
	}
	id := items[0].(map[string]any)["id"].(string)
	if r := c.Do("rob", "GET", "/api/collections/notifications/records/"+id, nil); r.Status != 404 {
		t.Fatalf("rob opened rita's notice: %d %s", r.Status, r.Body)
	}
	if r := c.Do("rob", "PATCH", "/api/collections/notifications/records/"+id, map[string]any{"read_at": "2026-01-01 10:00:00Z"}); r.Status != 404 {
		t.Fatalf("rob marked rita's notice: %d %s", r.Status, r.Body)
	}
	if r := c.Do("rita", "PATCH", "/api/collections/notifications/records/"+id, map[string]any{"title": "Expense paid"}); r.Status != 400 || r.Code("title") != "read_only" {
		t.Fatalf("rita retitled her notice: %d %s", r.Status, r.Body)
	}
	if r := c.Do("rita", "PATCH", "/api/collections/notifications/records/"+id, map[string]any{"read_at": "2026-01-01 10:00:00Z"}); r.Status != 200 {
		t.Fatalf("rita marks her notice read: %d %s", r.Status, r.Body)
	}
	if r := c.Do("rita", "POST", "/api/collections/notifications/records",
		map[string]any{"user": rita, "kind": "x", "title": "forged"}); r.Status < 400 {
		t.Fatalf("rita created a notice: %d %s", r.Status, r.Body)
	}
	if r := c.Do("rita", "DELETE", "/api/collections/notifications/records/"+id, nil); r.Status < 400 {
		t.Fatalf("rita deleted a notice: %d %s", r.Status, r.Body)
	}

	// the sync push obeys the same rule: read_at yes, anything else no
	push := c.Do("rita", "POST", "/api/sync/push", map[string]any{"clientId": "ritaphone01", "schemaVersion": 1,
		"mutations": []map[string]any{
			{"id": 1, "op": "update", "collection": "notifications", "recordId": id, "data": map[string]any{"read_at": "2026-01-02 10:00:00Z"}},
			{"id": 2, "op": "update", "collection": "notifications", "recordId": id, "data": map[string]any{"body": "changed"}},
		}}).JSON()
	results, _ := push["results"].([]any)
	if len(results) != 2 || results[0].(map[string]any)["status"] != "applied" || results[1].(map[string]any)["status"] != "rejected" {
		t.Fatalf("push: %v", push)
	}

	for user, want := range map[string]string{"rita": "Expense approved", "rob": "Plan rejected"} {
		pull := c.Do(user, "GET", "/api/sync/pull?clientId="+user+"phone01", nil).JSON()
		var got []string
		changes, _ := pull["changes"].([]any)
		for _, ch := range changes {
			ch := ch.(map[string]any)
			if ch["collection"] == "notifications" {
				got = append(got, ch["record"].(map[string]any)["title"].(string))
			}
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s pulls notifications %v, want [%s]", user, got, want)
		}
	}
}

// A final decision tells the requester: a notice (with the note) in the
// decision's transaction and an email in their language after it commits.
// A refused decision sends nothing.
func TestDecisionNotice(t *testing.T) {
	app, o, c := setup(t)
	inbox := mailtest.Start(t, app)
	rita := o.Reload(t, o.Users["rita"])
	rita.Set("language", "en")
	if err := testkit.Save(app, nil, rita); err != nil {
		t.Fatal(err)
	}
	_, x := o.Submitted(t, 5000, 150)

	// rob may not decide: nothing is written, nothing is mailed
	if r := c.Do("rob", "POST", "/api/collections/approvals/records", map[string]any{"expense": x.Id, "decision": "reject"}); r.Status < 400 {
		t.Fatalf("rob decided: %d %s", r.Status, r.Body)
	}
	inbox.None(t, 200*time.Millisecond)

	r := c.Do("mia", "POST", "/api/collections/approvals/records", map[string]any{"expense": x.Id, "decision": "reject", "note": "No receipt from that restaurant"})
	if r.Status != 200 {
		t.Fatalf("mia rejects: %d %s", r.Status, r.Body)
	}
	n, err := app.FindFirstRecordByFilter("notifications", "user = {:u}", dbx.Params{"u": rita.Id})
	if err != nil || n.GetString("kind") != "decision" || !strings.Contains(n.GetString("title"), "Expense rejected") ||
		!strings.Contains(n.GetString("title"), "150.00 CNY") || !strings.Contains(n.GetString("body"), "No receipt from that restaurant") {
		t.Fatalf("rita's notice: %v %v", n, err)
	}
	m := inbox.Next(t)
	if len(m.To) != 1 || m.To[0] != "rita@example.com" || !strings.Contains(m.Subject, "Expense rejected") ||
		!strings.Contains(m.Text, "No receipt from that restaurant") || !strings.Contains(m.HTML, "No receipt from that restaurant") {
		t.Fatalf("rita's mail to %v: %s\n%s", m.To, m.Subject, m.Text)
	}
	inbox.None(t, 100*time.Millisecond) // mia gets nothing
}

// A notice written in a transaction that rolls back sends no mail.
func TestNoMailAfterRollback(t *testing.T) {
	app, o, _ := setup(t)
	inbox := mailtest.Start(t, app)
	_ = app.RunInTransaction(func(tx core.App) error {
		if err := notify.Send(tx, notify.Notice{User: o.Users["rita"].Id, Kind: "decision", Title: "never"}); err != nil {
			t.Fatal(err)
		}
		return errors.New("roll back")
	})
	inbox.None(t, 200*time.Millisecond)
	if n, _ := app.CountRecords("notifications"); n != 0 {
		t.Fatalf("%d notices after the rollback", n)
	}
	if err := notify.Send(app, notify.Notice{User: o.Users["rita"].Id, Kind: "decision", Title: "sent"}); err != nil {
		t.Fatal(err)
	}
	if m := inbox.Next(t); m.Subject != "sent" {
		t.Fatalf("mail %q", m.Subject)
	}
}

// With SMTP off nothing is mailed, PocketBase's own mails included (a login
// alert would otherwise go to the local sendmail).
func TestNoSMTPNoMail(t *testing.T) {
	app := testkit.NewApp(t)
	notify.Register(app)
	app.Settings().SMTP.Enabled = false
	err := app.NewMailClient().Send(&mailer.Message{From: netmail.Address{Address: "rapport@example.com"},
		To: []netmail.Address{{Address: "rita@example.com"}}, Subject: "Login from a new location", HTML: "<p>hi</p>"})
	if err != nil {
		t.Fatalf("a mail with SMTP off reached a mailer: %v", err)
	}
}
