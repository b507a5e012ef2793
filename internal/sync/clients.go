package sync

import (
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/security"
)

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{10,64}$`)

func bindRoutes(se *core.ServeEvent) {
	g := se.Router.Group("/api/sync")
	g.Bind(apis.RequireAuth("users"))
	g.BindFunc(retryable)
	g.POST("/push", push).Unbind(apis.DefaultBodyLimitMiddlewareId) // readPush limits the body
	g.GET("/pull", pull)
	g.DELETE("/rejected/{clientId}/{id}", dismiss)
}

// retryable answers the errors the handlers did not shape themselves (a
// busy or failing database) 503 with Retry-After, not PocketBase's generic
// 400: every sync request is safe to repeat, and an app told 400 would give
// up on work it only has to send again.
func retryable(e *core.RequestEvent) error {
	err := e.Next()
	var apiErr *router.ApiError
	if err == nil || errors.As(err, &apiErr) || errors.Is(err, sql.ErrNoRows) {
		return err
	}
	e.App.Logger().Warn("sync: request failed, answered 503", "path", e.Request.URL.Path, "error", err)
	e.Response.Header().Set("Retry-After", "1")
	return router.NewApiError(http.StatusServiceUnavailable, "The server is busy; retry shortly.", nil)
}

// bindClient registers clientID to the caller on first use and returns its
// lastMutationId; a client registered to someone else is refused. On a
// database that was ever restored (it has an epoch, epoch.go), a new row is
// marked for a rebase: it may be an install registered after the backup,
// whose acknowledged mutations the restore lost with its row.
func bindClient(e *core.RequestEvent, clientID string) (int64, error) {
	if !clientIDPattern.MatchString(clientID) {
		return 0, e.BadRequestError("clientId must be 10 to 64 characters among A-Z, a-z, 0-9, _ and -.", nil)
	}
	var user string
	var last int64
	load := func() error {
		return e.App.DB().NewQuery(`SELECT user, last_mutation_id FROM _sync_clients WHERE id = {:id}`).
			Bind(dbx.Params{"id": clientID}).Row(&user, &last)
	}
	err := load()
	if errors.Is(err, sql.ErrNoRows) {
		now := time.Now().Unix()
		_, err = e.App.DB().NewQuery(`INSERT INTO _sync_clients (id, user, created, seen, rebase)
			VALUES ({:id}, {:u}, {:t}, {:t}, EXISTS (SELECT 1 FROM _sync_state WHERE key = 'epoch'))
			ON CONFLICT (id) DO NOTHING`).Bind(dbx.Params{"id": clientID, "u": e.Auth.Id, "t": now}).Execute()
		if err == nil {
			err = load()
		}
	}
	if err != nil {
		return 0, err
	}
	if user != e.Auth.Id {
		return 0, e.ForbiddenError("This clientId is registered to another user; each app install syncs for one user.", nil)
	}
	return last, nil
}

func lastMutationID(app core.App, clientID string) (int64, error) {
	var last int64
	err := app.DB().NewQuery(`SELECT last_mutation_id FROM _sync_clients WHERE id = {:id}`).
		Bind(dbx.Params{"id": clientID}).Row(&last)
	return last, err
}

// rebase lets an install marked by a restore (epoch.go) start over at id:
// the restore lost the mutations it had acknowledged from last+1 to id-1,
// and the app, which dropped them from its outbox, would never send them
// again. They settle as lost, and the push reports them so (lostBefore):
// the app re-queues them as new mutations, or shows them. It returns the
// client's lastMutationId after the attempt: id-1 when rebased, else the
// stored one (a concurrent push may have rebased or advanced it). Settling
// a mutation clears the mark, so only a push right after the restore
// rebases, never a reordered one later.
func rebase(e *core.RequestEvent, clientID string, last, id int64) (int64, bool, error) {
	rebased := false
	err := e.App.RunInTransaction(func(tx core.App) error {
		res, err := tx.DB().NewQuery(`UPDATE _sync_clients SET last_mutation_id = {:to}, rebase = 0
			WHERE id = {:c} AND rebase = 1 AND last_mutation_id = {:last}`).
			Bind(dbx.Params{"c": clientID, "to": id - 1, "last": last}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		rebased = true
		return settleLost(tx, clientID, last+1, id-1)
	})
	if err != nil || !rebased {
		if err == nil {
			last, err = lastMutationID(e.App, clientID)
		}
		return last, false, err
	}
	e.App.Logger().Warn("sync: a restored backup lost mutations the install had pushed; they are reported lost, and it continues after them",
		"client", clientID, "user", e.Auth.Id, "lostFrom", last+1, "lostTo", id-1)
	return id - 1, true, nil
}

// settleLost stores the outcome lost for the client's mutations from to
// to (one statement), so that a replay of one answers lost too.
func settleLost(tx core.App, clientID string, from, to int64) error {
	stored, err := json.Marshal(Result{Status: "lost"})
	if err != nil {
		return err
	}
	_, err = tx.DB().NewQuery(`WITH RECURSIVE lost(id) AS (SELECT {:from} UNION ALL SELECT id + 1 FROM lost WHERE id < {:to})
		INSERT INTO _sync_mutations (client, id, status, result, created) SELECT {:c}, id, 'lost', {:r}, {:t} FROM lost`).
		Bind(dbx.Params{"c": clientID, "from": from, "to": to, "r": string(stored), "t": time.Now().Unix()}).Execute()
	return err
}

// lostBefore is the run of lost outcomes right before id: the ids a rebase
// skipped to reach it, if any. One key lookup when there are none.
func lostBefore(app core.App, clientID string, id int64, replayed bool) ([]Result, error) {
	var status string
	err := app.DB().NewQuery(`SELECT status FROM _sync_mutations WHERE client = {:c} AND id = {:id}`).
		Bind(dbx.Params{"c": clientID, "id": id - 1}).Row(&status)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && status != "lost") {
		return nil, nil
	}
	var ids []int64
	if err == nil {
		err = app.DB().NewQuery(`SELECT id FROM _sync_mutations WHERE client = {:c} AND status = 'lost' AND id < {:id} ORDER BY id`).
			Bind(dbx.Params{"c": clientID, "id": id}).Column(&ids)
	}
	var out []Result
	for i := len(ids) - 1; i >= 0 && ids[i] == id-1-int64(len(out)); i-- {
		out = append(out, Result{ID: ids[i], Status: "lost", Replayed: replayed})
	}
	slices.Reverse(out)
	return out, err
}

// expectNext checks, inside the mutation's transaction, that id is the
// client's next mutation (a concurrent push of the same outbox may have
// applied it already).
func expectNext(tx core.App, clientID string, id int64) error {
	last, err := lastMutationID(tx, clientID)
	if err != nil {
		return err
	}
	if last != id-1 {
		return errAdvanced
	}
	return nil
}

// settle stores the outcomes of ms (results[i] is ms[i]'s) in one
// statement and advances the client's lastMutationId past them; the client
// pushes in order again, so a restore's rebase mark goes.
func settle(tx core.App, clientID string, ms []Mutation, results []Result) error {
	now := time.Now().Unix()
	params := dbx.Params{"c": clientID, "t": now}
	values := make([]string, len(ms))
	for i, m := range ms {
		r := results[i]
		stored, err := json.Marshal(Result{Status: r.Status, Fields: r.Fields, Error: r.Error})
		if err != nil {
			return err
		}
		payload := []byte{}
		if r.Status == "rejected" { // kept for its author until dismissed
			if payload, err = json.Marshal(withoutSecrets(m)); err != nil {
				return err
			}
		}
		n := strconv.Itoa(i)
		params["i"+n], params["s"+n], params["r"+n], params["p"+n] = m.ID, r.Status, string(stored), string(payload)
		values[i] = "({:c}, {:i" + n + "}, {:s" + n + "}, {:r" + n + "}, {:p" + n + "}, {:t})"
	}
	_, err := tx.DB().NewQuery(`INSERT INTO _sync_mutations (client, id, status, result, payload, created) VALUES ` +
		strings.Join(values, ", ")).Bind(params).Execute()
	if err != nil {
		return err
	}
	params["last"] = ms[len(ms)-1].ID
	_, err = tx.DB().NewQuery(`UPDATE _sync_clients SET last_mutation_id = {:last}, seen = {:t}, rebase = 0 WHERE id = {:c}`).
		Bind(params).Execute()
	return err
}

// withoutSecrets drops the password, token and secret fields of a rejected
// mutation (a pushed users create, say): its payload rests in the database
// and comes back in every pull until dismissed.
func withoutSecrets(m Mutation) Mutation {
	drop := func(fields map[string]any) map[string]any {
		fields = maps.Clone(fields) // the mutation may run again (applyRun)
		maps.DeleteFunc(fields, func(name string, _ any) bool {
			name = strings.ToLower(name)
			return strings.Contains(name, "password") || strings.Contains(name, "token") || strings.Contains(name, "secret")
		})
		return fields
	}
	m.Data, m.Base = drop(m.Data), drop(m.Base)
	return m
}

// storedResult is the original outcome of an already processed mutation.
func storedResult(app core.App, clientID string, id int64) (Result, error) {
	var raw string
	err := app.DB().NewQuery(`SELECT result FROM _sync_mutations WHERE client = {:c} AND id = {:id}`).
		Bind(dbx.Params{"c": clientID, "id": id}).Row(&raw)
	r := Result{ID: id, Replayed: true}
	if errors.Is(err, sql.ErrNoRows) {
		// pruned after the retention period: it took effect long ago
		r.Status = "applied"
		return r, nil
	}
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return r, err
	}
	r.ID, r.Replayed = id, true
	return r, nil
}

// dismiss resolves one rejected mutation: DELETE /api/sync/rejected/{clientId}/{id}.
func dismiss(e *core.RequestEvent) error {
	clientID := e.Request.PathValue("clientId")
	if _, err := bindClient(e, clientID); err != nil {
		return err
	}
	id, err := strconv.ParseInt(e.Request.PathValue("id"), 10, 64)
	if err != nil {
		return e.NotFoundError("", nil)
	}
	res, err := e.App.DB().NewQuery(`UPDATE _sync_mutations SET dismissed = 1, payload = ''
		WHERE client = {:c} AND id = {:id} AND status = 'rejected' AND dismissed = 0`).
		Bind(dbx.Params{"c": clientID, "id": id}).Execute()
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return e.NotFoundError("No unresolved rejected mutation with this id.", nil)
	}
	return e.NoContent(http.StatusNoContent)
}

// tokenExpiresIn is how many seconds the caller's auth token has left.
func tokenExpiresIn(e *core.RequestEvent) int64 {
	token := strings.TrimPrefix(e.Request.Header.Get("Authorization"), "Bearer ")
	claims, err := security.ParseUnverifiedJWT(token)
	if err != nil {
		return 0
	}
	exp, _ := claims["exp"].(float64)
	return max(int64(exp)-time.Now().Unix(), 0)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
