package hooks_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/testkit"
)

// Nobody raises their own privileges; refused writes change nothing.
func TestSelfEscalation(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	for _, tc := range []struct {
		as, who, body, field string
		status               int
	}{
		{"rita", "rita", `{"role":"admin"}`, "role", 403},
		{"rita", "rita", `{"approval_limit":100000000}`, "approval_limit", 403},
		{"rita", "rita", `{"team":"{team:east}"}`, "team", 403},
		{"rita", "rita", `{"manager":"{user:dana}"}`, "manager", 403},
		{"rita", "rita", `{"active":false}`, "active", 403},
		{"mia", "mia", `{"approval_limit":1000000000}`, "approval_limit", 403},
		{"mia", "rita", `{"active":false}`, "active", 403},
		{"mia", "rita", `{"approval_limit":1}`, "approval_limit", 403},
		{"dana", "mia", `{"role":"director"}`, "role", 403},
		{"fay", "rita", `{"active":false}`, "active", 403},
		{"rita", "rob", `{"active":false}`, "", 404}, // rob is not rita's to see
		{"ada", "ada", `{"role":"rep"}`, "role", 403},
		{"ada", "ada", `{"active":false}`, "active", 403},
	} {
		before := o.Reload(t, o.Users[tc.who])
		res := c.Do(tc.as, "PATCH", "/api/collections/users/records/{user:"+tc.who+"}", tc.body)
		if res.Status != tc.status || (tc.field != "" && res.Code(tc.field) != "forbidden") {
			t.Errorf("%s PATCH %s %s: %d %s", tc.as, tc.who, tc.body, res.Status, res.Body)
		}
		after := o.Reload(t, o.Users[tc.who])
		if !bytes.Equal(mustJSON(t, before.FieldsData()), mustJSON(t, after.FieldsData())) {
			t.Errorf("%s PATCH %s %s wrote something", tc.as, tc.who, tc.body)
		}
	}
	// The batch API goes through the same rules.
	res := c.Do("rita", "POST", "/api/batch", `{"requests":[{"method":"PATCH","url":"/api/collections/users/records/{user:rita}","body":{"role":"admin"}}]}`)
	if res.Status != 400 || !strings.Contains(string(res.Body), `"forbidden"`) || o.Reload(t, o.Users["rita"]).GetString("role") != "rep" {
		t.Errorf("batch self-promotion: %d %s", res.Status, res.Body)
	}
	for _, as := range []string{"rita", "ada"} {
		res := c.Do(as, "POST", "/api/collections/_superusers/records", `{"email":"root2@example.com","password":"password123","passwordConfirm":"password123"}`)
		if n, _ := app.CountRecords(core.CollectionNameSuperusers); res.Status != 403 || n != 0 {
			t.Errorf("%s creates a superuser: %d (%d superusers)", as, res.Status, n)
		}
	}
	// What they may do: a rep renames themself, an admin promotes someone else.
	if res := c.Do("rita", "PATCH", "/api/collections/users/records/{user:rita}", `{"name":"Rita M."}`); res.Status != 200 {
		t.Errorf("rep renames themself: %d %s", res.Status, res.Body)
	}
	if res := c.Do("ada", "PATCH", "/api/collections/users/records/{user:rita}", `{"role":"manager","approval_limit":50000}`); res.Status != 200 {
		t.Errorf("admin promotes rita: %d %s", res.Status, res.Body)
	}
}

// Accounts are active unless an admin says otherwise; inactive users cannot
// sign in, and deactivation ends the sessions they already have.
func TestUserActivation(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	res := c.Do("ada", "POST", "/api/collections/users/records",
		`{"email":"nina@example.com","password":"password123","passwordConfirm":"password123","name":"Nina","team":"{team:east}"}`)
	if u := res.JSON(); res.Status != 200 || u["active"] != true || u["role"] != "rep" {
		t.Fatalf("new user: %d %s", res.Status, res.Body)
	}
	id := res.JSON()["id"].(string)
	login := func() testkit.Response {
		return c.Do("", "POST", "/api/collections/users/auth-with-password", `{"identity":"nina@example.com","password":"password123"}`)
	}
	res = login()
	token, _ := res.JSON()["token"].(string)
	if res.Status != 200 || token == "" {
		t.Fatalf("active user signs in: %d %s", res.Status, res.Body)
	}
	// The session lasts 30 days.
	if exp := tokenExpiry(t, token); exp < 29*24*time.Hour || exp > 31*24*time.Hour {
		t.Errorf("token valid for %v, want 30 days", exp)
	}
	me := func() int {
		return c.SendToken(token, "GET", "/api/collections/users/records/"+id, "application/json", nil).Status
	}
	if got := me(); got != 200 {
		t.Fatalf("session works: %d", got)
	}
	if res := c.Do("ada", "PATCH", "/api/collections/users/records/"+id, `{"active":false}`); res.Status != 200 {
		t.Fatalf("deactivate: %d %s", res.Status, res.Body)
	}
	if res := login(); res.Status == 200 {
		t.Errorf("inactive user signs in: %s", res.Body)
	}
	if got := me(); got == 200 {
		t.Errorf("deactivated user's old token still works")
	}
}

func tokenExpiry(t testing.TB, token string) time.Duration {
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct{ Exp int64 }
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return time.Until(time.Unix(claims.Exp, 0))
}
