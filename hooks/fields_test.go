package hooks_test

import (
	"bytes"
	"fmt"
	"image/png"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/testkit"
)

// Owner, rep, customer and team are derived; version counts every write,
// the server's own included.
func TestDerivedFields(t *testing.T) {
	app := testkit.NewApp(t)
	w := seedScope(t, app)
	c := testkit.NewClient(t, w.Org)
	rita, field := w.Users["rita"].Id, w.Teams["field"].Id

	// ada acts for rita: the plan is rita's, not ada's.
	res := c.Do("ada", "POST", "/api/collections/plans/records",
		`{"customer":"{customer:rita}","title":"On behalf","period_start":"2026-01-01","period_end":"2026-12-31","budget":100}`)
	if p := res.JSON(); res.Status != 200 || p["owner"] != rita || p["team"] != field {
		t.Errorf("admin-created plan: %d %s", res.Status, res.Body)
	}
	// mia gives a new customer to rita, whose team she manages.
	res = c.Do("mia", "POST", "/api/collections/customers/records", `{"name":"Eagle","owner":"{user:rita}"}`)
	if cu := res.JSON(); res.Status != 200 || cu["owner"] != rita || cu["team"] != field {
		t.Errorf("manager-assigned customer: %d %s", res.Status, res.Body)
	}
	if res := c.Do("rita", "POST", "/api/collections/customers/records", `{"name":"Finch","owner":"{user:rob}"}`); res.Status != 403 || res.Code("owner") != "forbidden" {
		t.Errorf("rep creates a customer for another rep: %d %s", res.Status, res.Body)
	}
	approved := planOf(t, w, "rita", "approved")
	for _, tc := range []struct{ collection, field, body string }{
		{"plans", "customer", `{"customer":"{customer:rita}","title":"Mine","period_start":"2026-01-01","period_end":"2026-12-31","budget":100}`},
		{"visits", "customer", `{"customer":"{customer:rita}"}`},
		{"expenses", "plan", `{"plan":"` + approved + `","category":"meal","amount":100,"incurred_on":"` + testkit.Day(0) + `"}`},
	} {
		res := c.Do("rob", "POST", "/api/collections/"+tc.collection+"/records", tc.body)
		// rob may not see Acme, so the refusal does not name it
		if res.Status != 400 || res.Code(tc.field) != "not_owner" || strings.Contains(string(res.Body), "Acme") {
			t.Errorf("rob creates a %s for rita's customer: %d %s", tc.collection, res.Status, res.Body)
		}
		res = c.Do("rita", "POST", "/api/collections/"+tc.collection+"/records", tc.body)
		owner := "rep"
		if tc.collection == "plans" {
			owner = "owner"
		}
		if r := res.JSON(); res.Status != 200 || r[owner] != rita || r["team"] != field || r["version"] != float64(1) {
			t.Errorf("rita creates a %s: %d %s", tc.collection, res.Status, res.Body)
		}
		if flags, ok := res.JSON()["flags"].([]any); tc.collection == "expenses" && (!ok || len(flags) != 0) {
			t.Errorf("a draft expense's flags: %s, want []", res.Body)
		}
	}

	// The batch API obeys the same rules, and one refusal writes nothing.
	before, _ := app.CountRecords("visits")
	res = c.Do("rob", "POST", "/api/batch", `{"requests":[
		{"method":"POST","url":"/api/collections/visits/records","body":{"customer":"{customer:rob}"}},
		{"method":"POST","url":"/api/collections/visits/records","body":{"customer":"{customer:rita}"}}]}`)
	if after, _ := app.CountRecords("visits"); res.Status != 400 || !strings.Contains(string(res.Body), `"not_owner"`) || after != before {
		t.Errorf("batch with a visit for rita's customer: %d %s (%d → %d visits)", res.Status, res.Body, before, after)
	}

	// A visit is its rep's: managers and finance see it, never mark it.
	visit := testkit.MustCreate(t, app, w.Users["rita"], "visits", map[string]any{"customer": w.Customers["rita"].Id})
	for _, as := range []string{"mia", "dana", "fay"} {
		res := c.Do(as, "PATCH", "/api/collections/visits/records/"+visit.Id, `{"status":"done"}`)
		if res.Status != 403 || res.Code("status") != "forbidden" {
			t.Errorf("%s marks rita's visit done: %d %s", as, res.Status, res.Body)
		}
	}
	if got := w.Reload(t, visit).GetString("status"); got != "scheduled" {
		t.Errorf("visit status %s after refused updates", got)
	}

	// An admin moving a visit to rob's customer moves it to rob.
	res = c.Do("ada", "PATCH", "/api/collections/visits/records/"+visit.Id, `{"customer":"{customer:rob}"}`)
	if v := res.JSON(); res.Status != 200 || v["rep"] != w.Users["rob"].Id {
		t.Errorf("admin moves a visit to rob's customer: %d %s", res.Status, res.Body)
	}
	if res := c.Do("rita", "PATCH", "/api/collections/visits/records/"+visit.Id, `{"notes":"mine?"}`); res.Status != 404 {
		t.Errorf("rita still edits the moved visit: %d", res.Status)
	}

	// version: 1 on create, +1 on every write, cascades included.
	acme := w.Customers["rita"]
	version := func() int { return w.Reload(t, acme).GetInt("version") }
	v0 := version()
	c.Do("rita", "PATCH", "/api/collections/customers/records/"+acme.Id, `{"industry":"Steel"}`)
	if got := version(); got != v0+1 {
		t.Errorf("version after an update: %d, want %d", got, v0+1)
	}
	w.MoveUser(t, "rita", "east") // the server re-derives rita's records' team
	if got, team := version(), w.Reload(t, acme).GetString("team"); got != v0+2 || team != w.Teams["east"].Id {
		t.Errorf("after rita's move: version %d (want %d), team %s", got, v0+2, team)
	}
}

// Receipts and photos are protected: only a file token of someone who may
// view the record opens them.
func TestProtectedFiles(t *testing.T) {
	app := testkit.NewApp(t)
	w := seedScope(t, app)
	c := testkit.NewClient(t, w.Org)
	plan := planOf(t, w, "rita", "approved")
	res := c.Upload("rita", "POST", "/api/collections/expenses/records",
		map[string]string{"plan": plan, "category": "meal", "amount": "8800", "incurred_on": testkit.Day(0)},
		map[string]testkit.File{"receipt": {Name: "receipt.png", Content: pngBytes(t)}})
	if res.Status != 200 {
		t.Fatalf("expense with receipt: %d %s", res.Status, res.Body)
	}
	expense := res.JSON()
	res = c.Upload("rita", "POST", "/api/collections/visits/records",
		map[string]string{"customer": w.Customers["rita"].Id},
		map[string]testkit.File{"photos": {Name: "shop.png", Content: pngBytes(t)}})
	if res.Status != 200 {
		t.Fatalf("visit with photo: %d %s", res.Status, res.Body)
	}
	visit := res.JSON()
	files := []string{
		fmt.Sprintf("/api/files/expenses/%s/%s", expense["id"], expense["receipt"]),
		fmt.Sprintf("/api/files/visits/%s/%s", visit["id"], visit["photos"].([]any)[0]),
	}
	fileToken := func(as string) string {
		res := c.Do(as, "POST", "/api/files/token", nil)
		tok, _ := res.JSON()["token"].(string)
		if tok == "" {
			t.Fatalf("%s file token: %d %s", as, res.Status, res.Body)
		}
		return tok
	}
	for _, url := range files {
		if res := c.Do("rita", "GET", url, nil); res.Status != 404 {
			t.Errorf("%s without a file token: %d", url, res.Status)
		}
		for as, want := range map[string]int{"rita": 200, "mia": 200, "dana": 200, "fay": 200, "ed": 404, "rob": 404, "eve": 404} {
			if res := c.Do("", "GET", url+"?token="+fileToken(as), nil); res.Status != want {
				t.Errorf("%s with %s's file token: %d, want %d", url, as, res.Status, want)
			}
		}
		res := c.Send("", "GET", url+"?thumb=100x100&token="+fileToken("rita"), "", nil)
		if img, err := png.Decode(bytes.NewReader(res.Body)); err != nil || img.Bounds().Dx() != 100 {
			t.Errorf("%s thumbnail: %d %v", url, res.Status, err)
		}
	}

	for name, f := range map[string]testkit.File{
		"wrong type": {Name: "receipt.txt", Content: []byte("just text, not a receipt")},
		"oversized":  {Name: "huge.png", Content: append(pngBytes(t), make([]byte, 11<<20)...)},
	} {
		before, _ := app.CountRecords("expenses")
		res := c.Upload("rita", "POST", "/api/collections/expenses/records",
			map[string]string{"plan": plan, "category": "meal", "amount": "100", "incurred_on": testkit.Day(0)},
			map[string]testkit.File{"receipt": f})
		if res.Status != 400 || res.Code("receipt") == "" {
			t.Errorf("%s receipt: %d %s", name, res.Status, res.Body)
		}
		if after, _ := app.CountRecords("expenses"); after != before {
			t.Errorf("%s receipt: an expense was written", name)
		}
	}
	for _, f := range []struct{ collection, field string }{{"expenses", "receipt"}, {"visits", "photos"}} {
		field := testkit.MustCollection(t, app, f.collection).Fields.GetByName(f.field).(*core.FileField)
		if !field.Protected || len(field.Thumbs) == 0 {
			t.Errorf("%s.%s: protected %v, thumbs %v", f.collection, f.field, field.Protected, field.Thumbs)
		}
	}
}
