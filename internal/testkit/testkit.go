// Package testkit builds real PocketBase test apps with Rapport's schema and
// hooks, and a small standard organisation to test against.
package testkit

import (
	"os"
	"sync"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"rapport/hooks"
	"rapport/internal/dbconn"
	"rapport/internal/flow"
	_ "rapport/pb_migrations"
)

var (
	templateOnce sync.Once
	templateDir  string
	templateErr  error
)

// template migrates an empty data dir once per test binary; every test app
// starts from a copy of it.
func template() (string, error) {
	templateOnce.Do(func() {
		empty, err := os.MkdirTemp("", "rapport_empty_")
		if err != nil {
			templateErr = err
			return
		}
		app, err := newTestApp(empty)
		if err != nil {
			templateErr = err
			return
		}
		// Passwords are hashed at bcrypt's minimum cost in tests, so that
		// seeding an organisation takes milliseconds, not a second.
		templateErr = fastPasswords(app)
		templateDir = app.DataDir()
	})
	return templateDir, templateErr
}

func fastPasswords(app core.App) error {
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	users.Fields.GetByName("password").(*core.PasswordField).Cost = 4 // bcrypt.MinCost
	return app.Save(users)
}

// newTestApp is tests.NewTestApp on the server's database driver.
func newTestApp(dir string) (*tests.TestApp, error) {
	return tests.NewTestAppWithConfig(core.BaseAppConfig{DataDir: dir, EncryptionEnv: "pb_test_env", DBConnect: dbconn.Connect})
}

// NewApp returns a migrated test app with hooks.Register's handlers: every
// rule of package hooks, the settings cache, the spend report's sums and
// the read cache. Tests that need the change log or notifications register
// those packages themselves, as main.go does.
func NewApp(t testing.TB) *tests.TestApp {
	t.Helper()
	dir, err := template()
	if err != nil {
		t.Fatal(err)
	}
	app, err := newTestApp(dir)
	if err != nil {
		t.Fatal(err)
	}
	hooks.Register(app)
	t.Cleanup(app.Cleanup)
	return app
}

// Save writes r as the given user (nil: as the server, actor.Server)
// through the same model events as the REST API.
func Save(app core.App, as *core.Record, r *core.Record) error {
	return flow.Save(app, as, r)
}

// MustCreate creates a record in collection as the given user.
func MustCreate(t testing.TB, app core.App, as *core.Record, collection string, data map[string]any) *core.Record {
	t.Helper()
	r, err := flow.Create(app, as, collection, data)
	if err != nil {
		t.Fatalf("%v (data %v)", err, data)
	}
	return r
}

// Token is an auth token for user.
func Token(t testing.TB, user *core.Record) string {
	t.Helper()
	tok, err := user.NewAuthToken()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
