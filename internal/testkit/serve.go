package testkit

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

// Handler is app's router as the server builds it: PocketBase's routes and
// every route bound on OnServe. It is the one way tests build it: Serve
// runs it on a loopback server, NewClient calls it in-process.
func Handler(t testing.TB, app core.App) http.Handler {
	t.Helper()
	router, err := apis.NewRouter(app)
	if err != nil {
		t.Fatal(err)
	}
	var mux http.Handler
	err = app.OnServe().Trigger(&core.ServeEvent{App: app, Router: router}, func(e *core.ServeEvent) error {
		var err error
		mux, err = e.Router.BuildMux()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return mux
}

// Serve runs app's router (Handler) on a real loopback HTTP server for the
// test's lifetime, and makes it the app's Application URL, so links the app
// mails point at it.
func Serve(t testing.TB, app core.App) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(Handler(t, app))
	t.Cleanup(srv.Close)
	app.Settings().Meta.AppURL = srv.URL
	return srv
}
