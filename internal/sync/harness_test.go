package sync_test

import (
	"fmt"
	"net/http"
	"reflect"
	gosync "sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tests"

	"rapport/internal/sync"
	"rapport/internal/syncclient"
	"rapport/internal/testkit"
)

// env is a real HTTP server over a fresh test app with the standard org.
type env struct {
	t      testing.TB
	app    *tests.TestApp
	o      *testkit.Org
	rest   *testkit.Client // over the server
	url    string
	ids    int // record ids handed to clients
	mu     gosync.Mutex
	header http.Header // of the last call's response (calls may run concurrently)
}

func newEnv(t testing.TB) *env {
	t.Helper()
	app := testkit.NewApp(t)
	sync.Register(app)
	return serve(t, app, testkit.NewOrg(t, app))
}

// serve starts a real HTTP server over app, whose hooks are registered; o
// is the org whose data app holds.
func serve(t testing.TB, app *tests.TestApp, o *testkit.Org) *env {
	t.Helper()
	o = o.In(app)
	rest := testkit.ServeClient(t, o)
	return &env{t: t, app: app, o: o, rest: rest, url: rest.URL()}
}

// client is a sync client of user name with a deterministic clientId.
func (e *env) client(name, clientID string) *syncclient.Client {
	c := syncclient.New(e.url, e.o.Token(e.t, name), clientID)
	c.NewID = func() string { e.ids++; return fmt.Sprintf("r%014d", e.ids) }
	return c
}

// call does one JSON request as user name and decodes the answer. A string
// body is sent as written, JSON or not (testkit placeholders expanded).
func (e *env) call(name, method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	res := e.rest.Do(name, method, path, body)
	e.mu.Lock()
	e.header = res.Header
	e.mu.Unlock()
	return res.Status, res.JSON()
}

// restView lists every synced collection through the records API as user
// name: what the client must converge to.
func (e *env) restView(name string) map[string]map[string]syncclient.Record {
	e.t.Helper()
	view := map[string]map[string]syncclient.Record{}
	for _, coll := range sync.Collections {
		view[coll] = map[string]syncclient.Record{}
		for page := 1; ; page++ {
			status, res := e.call(name, "GET", fmt.Sprintf("/api/collections/%s/records?perPage=500&page=%d&skipTotal=1", coll, page), nil)
			if status != 200 {
				e.t.Fatalf("list %s as %s: %d %v", coll, name, status, res)
			}
			items, _ := res["items"].([]any)
			for _, it := range items {
				r := it.(map[string]any)
				view[coll][r["id"].(string)] = r
			}
			if len(items) < 500 {
				break
			}
		}
	}
	return view
}

// converged fails unless c's store equals the REST view of user name.
func (e *env) converged(name string, c *syncclient.Client) {
	e.t.Helper()
	want, got := e.restView(name), c.Store()
	for _, coll := range sync.Collections {
		w, g := want[coll], got[coll]
		for id, r := range w {
			if !reflect.DeepEqual(g[id], r) {
				e.t.Errorf("%s: %s/%s: client has %v, REST shows %v", name, coll, id, g[id], r)
			}
		}
		for id := range g {
			if _, ok := w[id]; !ok {
				e.t.Errorf("%s: %s/%s: client holds a record REST does not show", name, coll, id)
			}
		}
	}
}

// mustSync syncs c within a deadline far above any test's need (on a busy
// machine), so that an endless push or pull loop fails with a message.
func mustSync(t testing.TB, c *syncclient.Client) {
	t.Helper()
	withinDeadline(t, "sync of "+c.ID, 2*time.Minute, c.Sync)
}
