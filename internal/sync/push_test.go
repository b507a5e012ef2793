package sync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"rapport/internal/testkit"
)

func plan(customer string) map[string]any {
	return map[string]any{"customer": customer, "title": "Spring care", "period_start": testkit.Day(-30),
		"period_end": testkit.Day(60), "budget": testkit.Yuan(800), "methods": []string{"visit", "meal"}}
}

func TestPushPullRoundTrip(t *testing.T) {
	e := newEnv(t)
	rita := e.client("rita", "ritaphone01")
	acme := e.o.Customers["rita"].Id
	p := rita.Create("plans", plan(acme))
	v := rita.Create("visits", map[string]any{"customer": acme, "plan": p, "due_date": testkit.Day(7)})
	rita.Update("visits", v, map[string]any{"notes": "bring the brochure"})
	gone := rita.Create("visits", map[string]any{"customer": acme, "due_date": testkit.Day(8)})
	rita.Delete("visits", gone)
	mustSync(t, rita)

	for id, r := range rita.Outcomes() {
		if r.Status != "applied" {
			t.Errorf("mutation %d: %+v", id, r)
		}
	}
	if got := rita.Store()["visits"][v]["notes"]; got != "bring the brochure" {
		t.Fatalf("visit notes after sync: %v", got)
	}
	if _, ok := rita.Store()["visits"][gone]; ok {
		t.Fatal("deleted visit still in the store")
	}
	if rita.TokenExpiresIn() < 29*24*3600 {
		t.Fatalf("tokenExpiresIn %d, want about 30 days", rita.TokenExpiresIn())
	}
	e.converged("rita", rita)

	// the manager above, finance and another device of rita see it; ed does not
	for _, who := range []string{"mia", "dana", "fay"} {
		c := e.client(who, who+"phone0001")
		mustSync(t, c)
		if c.Store()["plans"][p] == nil {
			t.Errorf("%s does not get rita's plan", who)
		}
		e.converged(who, c)
	}
	ed := e.client("ed", "edphone0001")
	mustSync(t, ed)
	if len(ed.Store()["plans"]) != 0 || len(ed.Store()["customers"]) != 1 {
		t.Fatalf("ed sees %v", ed.Store())
	}
	e.converged("ed", ed)

	// the audit trail names the sync client
	entry, err := e.app.FindFirstRecordByFilter("audit_log", "record_id = {:id}", map[string]any{"id": p})
	if err != nil || entry.GetString("client_id") != "ritaphone01" || entry.GetString("actor") != e.o.Users["rita"].Id {
		t.Errorf("audit entry of a pushed create: %v %v", entry, err)
	}
}

func TestPushReplayAndOrder(t *testing.T) {
	e := newEnv(t)
	acme := e.o.Customers["rita"].Id
	body := map[string]any{"clientId": "ritaphone01", "schemaVersion": 1, "mutations": []map[string]any{
		{"id": 1, "op": "create", "collection": "visits", "recordId": "v00000000000001", "data": map[string]any{"customer": acme}},
		{"id": 2, "op": "create", "collection": "plans", "recordId": "p00000000000001", "data": map[string]any{"customer": e.o.Customers["rob"].Id, "title": "x"}},
	}}
	status, first := e.call("rita", "POST", "/api/sync/push", body)
	if status != 200 || first["lastMutationId"].(float64) != 2 {
		t.Fatalf("push: %d %v", status, first)
	}
	results := first["results"].([]any)
	if results[0].(map[string]any)["status"] != "applied" || results[1].(map[string]any)["status"] != "rejected" {
		t.Fatalf("results: %v", results)
	}

	// the same push again: stored results, nothing runs twice
	status, again := e.call("rita", "POST", "/api/sync/push", body)
	if status != 200 {
		t.Fatalf("replay: %d %v", status, again)
	}
	for i, r := range again["results"].([]any) {
		r := r.(map[string]any)
		if r["replayed"] != true || r["status"] != results[i].(map[string]any)["status"] {
			t.Errorf("replayed result %d: %v", i, r)
		}
	}
	if n, _ := e.app.CountRecords("visits"); n != 1 {
		t.Fatalf("%d visits after a replay, want 1", n)
	}

	// a gap: 409 with the expected id, nothing applied
	status, res := e.call("rita", "POST", "/api/sync/push", map[string]any{"clientId": "ritaphone01", "mutations": []map[string]any{
		{"id": 4, "op": "create", "collection": "visits", "recordId": "v00000000000004", "data": map[string]any{"customer": acme}},
	}})
	if status != 409 || res["code"] != "out_of_order" || res["expected"].(float64) != 3 {
		t.Fatalf("gap: %d %v", status, res)
	}
	if _, err := e.app.FindRecordById("visits", "v00000000000004"); err == nil {
		t.Fatal("an out-of-order mutation was applied")
	}

	// the client id belongs to rita
	status, _ = e.call("rob", "POST", "/api/sync/push", body)
	if status != 403 {
		t.Fatalf("another user's clientId: %d", status)
	}
	if status, _ = e.call("", "POST", "/api/sync/push", body); status != 401 {
		t.Fatalf("guest push: %d", status)
	}
}

func TestPushRejectionsDoNotBlock(t *testing.T) {
	e := newEnv(t)
	rita := e.client("rita", "ritaphone01")
	acme, bolt := e.o.Customers["rita"].Id, e.o.Customers["rob"].Id
	rita.Create("plans", plan(bolt))                                             // 1 not_owner
	rita.Update("customers", bolt, map[string]any{"name": "mine now"})           // 2 out of scope: 404
	rita.Update("customers", acme, map[string]any{"team": e.o.Teams["east"].Id}) // 3 server field
	rita.Create("users", map[string]any{"email": "x@example.com"})               // 4 system collection
	rita.Create("teams", map[string]any{"name": "mine"})                         // 5 not synced
	rita.Update("tier_policies", "", map[string]any{"label": "x"})               // 6 admin only: 404
	ok := rita.Create("visits", map[string]any{"customer": acme})                // 7 fine
	mustSync(t, rita)

	out := rita.Outcomes()
	want := map[int64]string{1: "not_owner", 3: "read_only", 4: "unknown_collection", 5: "unknown_collection"}
	for id, code := range want {
		if out[id].Status != "rejected" || !strings.Contains(fmt.Sprint(out[id].Error.Data), code) {
			t.Errorf("mutation %d: want %s, got %+v", id, code, out[id])
		}
	}
	for _, id := range []int64{2, 6} {
		if out[id].Status != "rejected" || out[id].Error.Status != 404 {
			t.Errorf("mutation %d: want a 404 rejection, got %+v", id, out[id])
		}
	}
	if out[7].Status != "applied" || rita.Store()["visits"][ok] == nil {
		t.Fatalf("the mutation after the rejections: %+v", out[7])
	}
	if n := len(rita.Rejected()); n != 6 {
		t.Fatalf("pull reports %d rejected mutations, want 6", n)
	}
	first := rita.Rejected()[0]
	if first.ID != 1 || first.Collection != "plans" || first.Data["customer"] != bolt {
		t.Fatalf("rejected payload: %+v", first)
	}
	if err := rita.Dismiss(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if err := rita.Dismiss(context.Background(), 1); err == nil {
		t.Fatal("dismissing twice succeeded")
	}
	mustSync(t, rita)
	if n := len(rita.Rejected()); n != 5 {
		t.Fatalf("after a dismiss: %d rejected", n)
	}
}

func TestPushConflict(t *testing.T) {
	e := newEnv(t)
	acme := e.o.Customers["rita"].Id
	phone, tablet := e.client("rita", "ritaphone01"), e.client("rita", "ritatablet1")
	v := phone.Create("visits", map[string]any{"customer": acme, "notes": "first"})
	mustSync(t, phone)
	mustSync(t, tablet)

	phone.Update("visits", v, map[string]any{"notes": "from the phone"})
	mustSync(t, phone)
	tablet.Update("visits", v, map[string]any{"notes": "from the tablet", "outcome": "signed"})
	if err := tablet.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := tablet.Outcomes()[1]
	if r.Status != "conflict" || len(r.Fields) != 1 || r.Fields[0] != "notes" {
		t.Fatalf("stale base: %+v", r)
	}
	saved, _ := e.app.FindRecordById("visits", v)
	if saved.GetString("notes") != "from the phone" || saved.GetString("outcome") != "signed" {
		t.Fatalf("after the conflict: notes %q outcome %q", saved.GetString("notes"), saved.GetString("outcome"))
	}
}

// TestPushBaseReadAsInput: a base is compared as the field reads input, so
// an app holding "4" for a number or another date layout is no conflict.
func TestPushBaseReadAsInput(t *testing.T) {
	e := newEnv(t)
	status, v := e.call("rita", "POST", "/api/collections/visits/records", map[string]any{
		"customer": e.o.Customers["rita"].Id, "satisfaction": 4, "started_at": "2026-11-20 09:00:00.000Z"})
	if status != 200 {
		t.Fatalf("REST create: %d %v", status, v)
	}
	status, res := e.call("rita", "POST", "/api/sync/push", map[string]any{"clientId": "ritaphone01", "mutations": []any{
		map[string]any{"id": 1, "op": "update", "collection": "visits", "recordId": v["id"],
			"base": map[string]any{"satisfaction": "4", "started_at": "2026-11-20T09:00:00Z"},
			"data": map[string]any{"satisfaction": 5, "started_at": "2026-11-20T10:00:00Z"}},
	}})
	r := res["results"].([]any)[0].(map[string]any)
	if status != 200 || r["status"] != "applied" {
		t.Fatalf("an update whose base differs only in form: %d %v", status, r)
	}
	saved, _ := e.app.FindRecordById("visits", v["id"].(string))
	if saved.GetInt("satisfaction") != 5 || saved.GetDateTime("started_at").Time().Hour() != 10 {
		t.Fatalf("after the update: satisfaction %d started_at %v", saved.GetInt("satisfaction"), saved.GetDateTime("started_at"))
	}
}

func TestPushLimits(t *testing.T) {
	e := newEnv(t)
	acme := e.o.Customers["rita"].Id
	var muts []map[string]any
	for i := 1; i <= 1001; i++ {
		muts = append(muts, map[string]any{"id": i, "op": "create", "collection": "visits",
			"recordId": fmt.Sprintf("v%014d", i), "data": map[string]any{"customer": acme}})
	}
	status, res := e.call("rita", "POST", "/api/sync/push", map[string]any{"clientId": "ritaphone01", "mutations": muts})
	if status != 413 || !strings.Contains(fmt.Sprint(res["message"]), "1000") {
		t.Fatalf("1001 mutations: %d %v", status, res)
	}
	if n, _ := e.app.CountRecords("visits"); n != 0 {
		t.Fatalf("%d visits written by a refused push", n)
	}
	if status, _ := e.call("rita", "GET", "/api/sync/pull?clientId=short", nil); status != 400 {
		t.Fatalf("bad clientId: %d", status)
	}
}

// TestEveryWritePathIsLogged: REST, the batch API and server-side writes
// reach a device's pull just like pushes do.
func TestEveryWritePathIsLogged(t *testing.T) {
	e := newEnv(t)
	acme := e.o.Customers["rita"].Id
	rita := e.client("rita", "ritaphone01")
	mustSync(t, rita)

	status, rest := e.call("rita", "POST", "/api/collections/visits/records", map[string]any{"customer": acme, "notes": "rest"})
	if status != 200 {
		t.Fatalf("REST create: %d %v", status, rest)
	}
	status, batch := e.call("rita", "POST", "/api/batch", map[string]any{"requests": []map[string]any{
		{"method": "POST", "url": "/api/collections/visits/records", "body": map[string]any{"customer": acme, "notes": "batch"}},
	}})
	if status != 200 {
		t.Fatalf("batch create: %d %v", status, batch)
	}
	c := e.o.Reload(t, e.o.Customers["rita"])
	c.Set("address", "set by a server job")
	if err := testkit.Save(e.app, nil, c); err != nil {
		t.Fatal(err)
	}

	mustSync(t, rita)
	notes := map[any]bool{}
	for _, v := range rita.Store()["visits"] {
		notes[v["notes"]] = true
	}
	if !notes["rest"] || !notes["batch"] || rita.Store()["customers"][acme]["address"] != "set by a server job" {
		t.Fatalf("pull after REST, batch and server writes: visits %v, customer %v", notes, rita.Store()["customers"][acme])
	}
	e.converged("rita", rita)
}

// TestPushWrongTypes: a mutation with a field of the wrong JSON type is
// rejected on its own (invalid_type), stored like any rejection, and the
// mutations around it apply. Only what makes a push unplaceable fails it
// whole, with a message that says what is wrong.
func TestPushWrongTypes(t *testing.T) {
	e := newEnv(t)
	acme := e.o.Customers["rita"].Id
	create := func(id int) map[string]any {
		return map[string]any{"id": id, "op": "create", "collection": "visits", "recordId": fmt.Sprintf("v%014d", id), "data": map[string]any{"customer": acme}}
	}
	var muts []map[string]any
	for id := 1; id <= 20; id++ {
		muts = append(muts, create(id))
	}
	muts[4]["data"] = []string{"a"}
	muts[7] = map[string]any{"id": 8, "op": "update", "collection": "visits", "recordId": "v00000000000001", "data": map[string]any{"notes": "x"}, "base": 5}
	muts[10]["recordId"] = 7
	muts[13]["op"] = 3
	bad := map[float64]string{5: "data", 8: "base", 11: "recordId", 14: "op"}
	body := map[string]any{"clientId": "ritaphone01", "mutations": muts}

	for _, replay := range []bool{false, true} {
		status, res := e.call("rita", "POST", "/api/sync/push", body)
		if status != 200 || res["lastMutationId"] != 20.0 {
			t.Fatalf("push (replay %v): %d %v", replay, status, res)
		}
		for _, r := range res["results"].([]any) {
			r := r.(map[string]any)
			field, want := bad[r["id"].(float64)], "applied"
			if field != "" {
				want = "rejected"
			}
			if r["status"] != want || (field != "" && errorCode(r["error"], field) != "invalid_type") || replay != (r["replayed"] == true) {
				t.Errorf("replay %v, mutation %v: want %s (%s), got %v", replay, r["id"], want, field, r)
			}
		}
	}
	if n, _ := e.app.CountRecords("visits"); n != 16 {
		t.Fatalf("%d visits, want 16", n)
	}
	_, pulled := e.call("rita", "GET", "/api/sync/pull?clientId=ritaphone01", nil)
	rejected := pulled["rejected"].([]any)
	if len(rejected) != len(bad) {
		t.Fatalf("pull reports %d rejected mutations, want %d: %v", len(rejected), len(bad), rejected)
	}
	for _, r := range rejected {
		r := r.(map[string]any)
		if field := bad[r["id"].(float64)]; errorCode(r["error"], field) != "invalid_type" {
			t.Errorf("rejected %v: %v", r["id"], r)
		}
	}

	next := func(id int) string { raw, _ := json.Marshal(create(id)); return string(raw) }
	for body, want := range map[string]string{
		`{"clientId":"ritaphone01","mutations":[` + next(21) + `,{"id":"22","op":"delete"}]}`: "In mutations[1], id must be a whole number",
		`{"clientId":"ritaphone01","mutations":[` + next(21) + `,{"op":"delete"}]}`:           "In mutations[1], id must be a whole number",
		`{"clientId":"ritaphone01","mutations":[{"id":0}]}`:                                   "In mutations[0], id must be a whole number",
		`{"clientId":"ritaphone01","mutations":[` + next(21) + `,7]}`:                         "In mutations[1], the mutation is not an object",
		`{"clientId":"ritaphone01","mutations":{"id":21}}`:                                    "The mutations must be an array",
		`{"clientId":7,"mutations":[` + next(21) + `]}`:                                       "The clientId must be a string",
		`{"clientId":"ritaphone01","schemaVersion":"1","mutations":[]}`:                       "The schemaVersion must be a whole number",
		`[` + next(21) + `]`: "must be a JSON object",
		`{"clientId":"ritaphone01","mutations":[` + next(21): "not valid JSON",
	} {
		status, res := e.call("rita", "POST", "/api/sync/push", body)
		if msg := fmt.Sprint(res["message"]); status != 400 || !strings.Contains(msg, want) || (want != "not valid JSON" && strings.Contains(msg, "JSON.")) {
			t.Errorf("%s: %d %q, want 400 %q", body, status, msg, want)
		}
	}
	if n, _ := e.app.CountRecords("visits"); n != 16 {
		t.Fatalf("%d visits after refused pushes, want 16", n)
	}
}

// errorCode is data.<field>.code of a PocketBase error object.
func errorCode(apiErr any, field string) any {
	data, _ := apiErr.(map[string]any)["data"].(map[string]any)
	f, _ := data[field].(map[string]any)
	return f["code"]
}

// TestRejectedPayloadKeepsNoSecrets: a rejected mutation's payload is
// stored and pulled without its password and token fields.
func TestRejectedPayloadKeepsNoSecrets(t *testing.T) {
	e := newEnv(t)
	secret := "12345678aa"
	status, res := e.call("rita", "POST", "/api/sync/push", map[string]any{"clientId": "ritaphone01", "mutations": []map[string]any{
		{"id": 1, "op": "create", "collection": "users", "recordId": "u00000000000001",
			"data": map[string]any{"email": "x@example.com", "password": secret, "passwordConfirm": secret}},
		{"id": 2, "op": "update", "collection": "customers", "recordId": e.o.Customers["rita"].Id,
			"data": map[string]any{"team": e.o.Teams["east"].Id, "oldPassword": secret, "tokenKey": secret}, "base": map[string]any{"password": secret}},
	}})
	if status != 200 || res["lastMutationId"] != 2.0 {
		t.Fatalf("push: %d %v", status, res)
	}
	_, pulled := e.call("rita", "GET", "/api/sync/pull?clientId=ritaphone01", nil)
	rejected, _ := json.Marshal(pulled["rejected"])
	if len(pulled["rejected"].([]any)) != 2 || !strings.Contains(string(rejected), "x@example.com") || strings.Contains(string(rejected), secret) {
		t.Fatalf("pulled rejections: %s", rejected)
	}
	var n int
	if err := e.app.DB().NewQuery("SELECT COUNT(*) FROM _sync_mutations WHERE payload LIKE '%" + secret + "%'").Row(&n); err != nil || n != 0 {
		t.Fatalf("%d stored payloads keep the password (%v)", n, err)
	}
}
