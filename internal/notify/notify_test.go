package notify_test

import (
	"testing"

	"rapport/internal/notify"
	"rapport/internal/testkit"
)

// A notice reaches only its user: Rita lists hers, Rob sees none and cannot
// open hers, and nobody creates one through the API.
func TestNoticeSeenOnlyByItsUser(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	rita := o.Users["rita"].Id
	if err := notify.Send(app, notify.Notice{User: rita, Kind: "decision", Title: "Expense approved"}); err != nil {
		t.Fatal(err)
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
	if r := c.Do("rita", "POST", "/api/collections/notifications/records",
		map[string]any{"user": rita, "kind": "x", "title": "forged"}); r.Status < 400 {
		t.Fatalf("rita created a notice: %d %s", r.Status, r.Body)
	}
}
