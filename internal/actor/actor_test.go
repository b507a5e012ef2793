package actor_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/testkit"
)

// A route that saves a business record without saying who writes is
// refused, and nothing is written; the same route writing as the server
// succeeds through every rule, audited.
func TestRouteWithoutActorCannotWrite(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.POST("/test/customers", func(e *core.RequestEvent) error {
			c := core.NewRecord(testkit.MustCollection(t, e.App, "customers"))
			c.Load(map[string]any{"name": e.Request.URL.Query().Get("name"), "owner": e.Auth.Id,
				"annual_contract_amount": testkit.Yuan(1_000), "customer_since": "2025-01-15"})
			if e.Request.URL.Query().Get("stamp") == "server" {
				actor.AsServer(c)
			}
			if err := e.App.Save(c); err != nil {
				return err
			}
			return e.JSON(http.StatusOK, map[string]any{"id": c.Id})
		}).Bind(apis.RequireAuth())
		return se.Next()
	})
	client := testkit.NewClient(t, o)
	count := func(filter string) int {
		n, err := app.CountRecords("customers", dbx.HashExp{"name": filter})
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	audited := func() int {
		n, err := app.CountRecords("audit_log", dbx.HashExp{"collection": "customers", "action": "create"})
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	before := audited()

	res := client.Do("rita", http.MethodPost, "/test/customers?name=Unstamped", nil)
	if res.Status != http.StatusInternalServerError || !strings.Contains(string(res.Body), "write customers without saying who writes") {
		t.Fatalf("unstamped write: status %d, want 500: %s", res.Status, res.Body)
	}
	if count("Unstamped") != 0 || audited() != before {
		t.Fatal("an unstamped write left a customer or an audit entry")
	}

	res = client.Do("rita", http.MethodPost, "/test/customers?name=Stamped&stamp=server", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("server write: status %d: %s", res.Status, res.Body)
	}
	c, err := app.FindFirstRecordByData("customers", "name", "Stamped")
	if err != nil {
		t.Fatal(err)
	}
	if c.GetString("team") != o.Users["rita"].GetString("team") || c.GetInt("version") != 1 || audited() != before+1 {
		t.Fatalf("server write skipped the rules: team %q version %d", c.GetString("team"), c.GetInt("version"))
	}
}

// Nobody is not privileged; the server, superusers and admins are.
func TestPrivileged(t *testing.T) {
	var nobody *actor.Actor
	for _, c := range []struct {
		a    *actor.Actor
		want bool
	}{{nobody, false}, {&actor.Actor{}, false}, {actor.Server, true}, {&actor.Actor{Superuser: "su"}, true}} {
		if got := c.a.Privileged(); got != c.want {
			t.Errorf("%+v privileged = %v, want %v", c.a, got, c.want)
		}
	}
}
