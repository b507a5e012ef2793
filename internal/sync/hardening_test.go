package sync_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"rapport/internal/testkit"
)

// The hardening rules hold on the sync push as over REST: a rep's contract
// amount, a decision note, a stop budget reshaped below what it covers.
func TestPushHardeningRules(t *testing.T) {
	e := newEnv(t)
	acme := e.o.Customers["rita"]
	p := testkit.MustCreate(t, e.app, nil, "plans", map[string]any{"customer": acme.Id, "title": "Care", "period_start": testkit.Day(-30),
		"period_end": testkit.Day(60), "budget": testkit.Yuan(5000), "status": "approved"})
	x := testkit.MustCreate(t, e.app, nil, "expenses", map[string]any{"plan": p.Id, "category": "gift", "amount": testkit.Yuan(800),
		"incurred_on": testkit.Day(0), "status": "approved"})
	robs := e.o.Budget(t, "rep", "stop", 500, map[string]any{"rep": e.o.Users["rob"].Id})

	next := map[string]int{} // each install's mutation ids go up
	for _, tc := range []struct {
		user, op, collection, id string
		data                     map[string]any
		field, code              string
	}{
		{"rita", "update", "customers", acme.Id, map[string]any{"annual_contract_amount": testkit.Yuan(5_000_000)}, "annual_contract_amount", "forbidden"},
		{"rita", "update", "expenses", x.Id, map[string]any{"decision_note": "fine by me"}, "decision_note", "read_only"},
		{"rita", "create", "plans", "p00000000000001", map[string]any{"customer": acme.Id, "title": "Q1", "period_start": testkit.Day(0),
			"period_end": testkit.Day(30), "budget": 100, "decision_note": "pre-approved"}, "decision_note", "read_only"},
		{"fay", "update", "budgets", robs.Id, map[string]any{"rep": e.o.Users["rita"].Id}, "amount", "budget_below_committed"},
		{"fay", "create", "budgets", "b00000000000001", map[string]any{"name": "Rita", "scope": "rep", "rep": e.o.Users["rita"].Id, "period": "year",
			"period_start": testkit.Day(0)[:4] + "-01-01", "amount": testkit.Yuan(100)}, "amount", "budget_below_committed"},
	} {
		next[tc.user]++
		status, res := e.call(tc.user, "POST", "/api/sync/push", map[string]any{"clientId": tc.user + "phone0001", "mutations": []map[string]any{
			{"id": next[tc.user], "op": tc.op, "collection": tc.collection, "recordId": tc.id, "data": tc.data}}})
		results, _ := res["results"].([]any)
		if status != 200 || len(results) != 1 {
			t.Fatalf("push as %s: %d %v", tc.user, status, res)
		}
		r := results[0].(map[string]any)
		if r["status"] != "rejected" || errorCode(r["error"], tc.field) != tc.code {
			t.Errorf("%s %s %s %v: want %s on %s, got %v", tc.user, tc.op, tc.collection, tc.data, tc.code, tc.field, r)
		}
	}
	if c, _ := e.app.FindRecordById("customers", acme.Id); c.GetInt("annual_contract_amount") != acme.GetInt("annual_contract_amount") {
		t.Error("the pushed contract amount was written")
	}
}

// The manager set on a rep approves the rep's requests; the rep's pull and
// realtime subscriptions never carry that manager's account.
func TestApproverAccountStaysHiddenFromPullAndRealtime(t *testing.T) {
	e := newEnv(t)
	rita, mia := e.o.Users["rita"], e.o.Users["mia"]
	rita.Set("manager", mia.Id)
	if err := testkit.Save(e.app, nil, rita); err != nil {
		t.Fatal(err)
	}
	if _, res := e.call("rita", "GET", "/api/sync/pull?clientId=ritaphone0001", nil); strings.Contains(mustMarshal(t, res), mia.Id) {
		t.Errorf("rita's pull names mia: %v", res)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.url+"/api/realtime", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	next := func() (name, data string) {
		for lines.Scan() {
			line := lines.Text()
			switch {
			case strings.HasPrefix(line, "event:"):
				name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				data = strings.TrimSpace(strings.TrimPrefix(line, "data:"))
			case line == "" && name != "":
				return name, data
			}
		}
		t.Fatalf("realtime stream ended: %v", lines.Err())
		return "", ""
	}
	_, data := next() // PB_CONNECT
	var connect struct{ ClientID string }
	if err := json.Unmarshal([]byte(data), &connect); err != nil || connect.ClientID == "" {
		t.Fatalf("connect: %s", data)
	}
	if status, res := e.call("rita", "POST", "/api/realtime", map[string]any{"clientId": connect.ClientID,
		"subscriptions": []string{"users/*", "users/" + mia.Id}}); status != 204 {
		t.Fatalf("subscribe: %d %v", status, res)
	}
	for _, u := range []string{"mia", "rita"} { // mia's change first: rita's event comes after it
		r := e.o.Reload(t, e.o.Users[u])
		r.Set("name", u+" renamed")
		if err := testkit.Save(e.app, nil, r); err != nil {
			t.Fatal(err)
		}
	}
	for {
		name, data := next()
		if strings.Contains(data, "mia renamed") {
			t.Fatalf("rita got mia's account over realtime (%s): %s", name, data)
		}
		if strings.Contains(data, "rita renamed") {
			return // her own change arrived, mia's did not
		}
	}
}

func mustMarshal(t *testing.T, v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
