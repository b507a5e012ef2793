package testkit

import (
	"net/http/httptest"
	"testing"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

// Serve runs app's router (every OnServe route bound) on a real loopback
// HTTP server for the test's lifetime, and makes it the app's Application
// URL, so links the app mails point at it.
func Serve(t testing.TB, app core.App) *httptest.Server {
	t.Helper()
	router, err := apis.NewRouter(app)
	if err != nil {
		t.Fatal(err)
	}
	var srv *httptest.Server
	err = app.OnServe().Trigger(&core.ServeEvent{App: app, Router: router}, func(e *core.ServeEvent) error {
		mux, err := e.Router.BuildMux()
		if err == nil {
			srv = httptest.NewServer(mux)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	app.Settings().Meta.AppURL = srv.URL
	return srv
}
