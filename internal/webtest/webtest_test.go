// Package webtest runs the JavaScript suites of the clients in pb_public/
// (the sync library, the field app, the console) against a real server:
// `go test ./internal/webtest` starts Rapport on loopback with the standard
// test organisation, then runs `node --test` on js/*.test.mjs and fails with
// their output. The browser suite drives Debian's chromium through
// playwright-core (installed by `npm ci` in js/; .ci/run does both).
package webtest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"rapport/internal/report"
	"rapport/internal/sync"
	"rapport/internal/testkit"
)

// Fixture is what the JavaScript suites know of the seeded organisation
// (written as JSON to the file named by RAPPORT_FIXTURE).
type Fixture struct {
	URL       string            `json:"url"`
	Password  string            `json:"password"`
	Users     map[string]string `json:"users"`     // name → id (email: name@example.com)
	Customers map[string]string `json:"customers"` // owner name → customer id
	Plans     map[string]string `json:"plans"`     // owner name → an approved plan
	Artefacts string            `json:"artefacts"` // where screenshots go
}

// TestLibrary runs the sync library's unit tests (Node, in-memory store).
func TestLibrary(t *testing.T) {
	node(t, "sdk.test.mjs")
}

// TestBrowser runs the end-to-end suite of the field app and the console
// in headless chromium.
func TestBrowser(t *testing.T) {
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Skip("chromium is not installed: apt-get install -y chromium fonts-noto-cjk (.ci/run does)")
	}
	if _, err := os.Stat("js/node_modules/playwright-core"); err != nil {
		t.Skip("playwright-core is not installed: run `npm ci` in internal/webtest/js (.ci/run does)")
	}
	node(t, "browser.test.mjs")
}

// node serves a fresh organisation and runs one suite file against it.
func node(t *testing.T, suite string) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed (apt-get install -y nodejs)")
	}
	f := serve(t)
	raw, _ := json.Marshal(f)
	fixture := filepath.Join(t.TempDir(), "fixture.json")
	if err := os.WriteFile(fixture, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "--test", "--test-reporter=spec", "--test-timeout=120000", suite)
	cmd.Dir = "js"
	cmd.Env = append(os.Environ(), "RAPPORT_FIXTURE="+fixture)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %s: %v\n%s", suite, err, out)
	}
	t.Logf("node --test %s:\n%s", suite, out)
}

// serve starts Rapport (hooks, sync, static pb_public/) on loopback over a
// test app seeded with the standard organisation, an approved plan per rep
// and a few visits due around today.
func serve(t *testing.T) Fixture {
	app := testkit.NewApp(t)
	sync.Register(app)
	report.Register(app)
	o := testkit.NewOrg(t, app)
	// the suites sign in far more than 10 times a minute from one address
	app.Settings().RateLimits.Enabled = false
	if err := app.Save(app.Settings()); err != nil {
		t.Fatal(err)
	}
	f := Fixture{Password: "password123", Users: map[string]string{}, Customers: map[string]string{}, Plans: map[string]string{}}
	for name, u := range o.Users {
		f.Users[name] = u.Id
	}
	for owner, c := range o.Customers {
		f.Customers[owner] = c.Id
		f.Plans[owner] = testkit.MustCreate(t, app, nil, "plans", map[string]any{"customer": c.Id, "title": "Care for " + c.GetString("name"),
			"methods": []string{"visit", "meal"}, "period_start": testkit.Day(-60), "period_end": testkit.Day(60),
			"budget": testkit.Yuan(2_000), "status": "approved"}).Id
		for _, v := range []map[string]any{
			{"kind": "visit", "due_date": testkit.Day(-3), "notes": "Quarterly review"},
			{"kind": "call", "due_date": testkit.Day(0), "source": "followup", "notes": "Follow up on the quote"},
			{"kind": "care", "window_start": testkit.Day(-1), "window_end": testkit.Day(5), "source": "care", "notes": "Birthday gift"},
			{"kind": "visit", "due_date": testkit.Day(20), "notes": "Annual contract"},
		} {
			v["customer"], v["status"] = c.Id, "scheduled"
			testkit.MustCreate(t, app, nil, "visits", v)
		}
	}
	o.Budget(t, "org", "warn", 500_000)
	o.Budget(t, "team", "stop", 20_000, map[string]any{"team": o.Teams["field"].Id})
	o.Budget(t, "team", "warn", 3_000, map[string]any{"team": o.Teams["field"].Id, "category": "meal", "warn_at_percent": 50})
	root, _ := filepath.Abs("../..")
	f.Artefacts = filepath.Join(root, "internal", "webtest", "artefacts")
	f.URL = listen(t, app, filepath.Join(root, "pb_public"))
	return f
}

// listen serves app over a real HTTP listener on 127.0.0.1, with main.go's
// static route for pb_public.
func listen(t *testing.T, app *tests.TestApp, public string) string {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/{path...}", apis.Static(os.DirFS(public), false))
		return se.Next()
	})
	return testkit.Serve(t, app).URL
}
