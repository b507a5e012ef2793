package sync

import (
	"encoding/json"
	"slices"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/subscriptions"

	"rapport/internal/txstate"
)

// Topic is the realtime topic clients subscribe to for pokes.
const Topic = "sync"

// PokeDelay coalesces the commits of a burst into one poke per client; the
// spec allows 250 ms from commit to poke.
const PokeDelay = 100 * time.Millisecond

// poker tells connected clients "pull now" after commits that touched
// something they may see. It carries a cursor only, never record data.
type poker struct {
	app     core.App
	ready   atomic.Bool // the change log exists (false while migrations run)
	mu      gosync.Mutex
	pending map[string]bool
	timer   *time.Timer
}

func newPoker(app core.App) *poker { return &poker{app: app} }

// logReady reports whether the change log table exists: records written by
// the migrations before it (the defaults) are covered by the first snapshot.
func (p *poker) logReady(app core.App) bool {
	if !p.ready.Load() && app.HasTable("_sync_changes") {
		p.ready.Store(true)
	}
	return p.ready.Load()
}

// afterCommit queues a poke for k once app's transaction has committed.
// A transaction's keys are gathered and queued at once, after its commit.
func (p *poker) afterCommit(app core.App, k keys) {
	pending, inTx := txstate.Of(app, pokesKey{}, func() *txPokes { return &txPokes{} })
	if !inTx {
		p.add(k)
		return
	}
	pending.k.merge(k)
	if !pending.queued {
		pending.queued = true
		app.TxInfo().OnComplete(func(txErr error) error {
			if txErr == nil {
				p.add(pending.k)
			}
			return nil
		})
	}
}

// txPokes are the keys a transaction's writes touched.
type txPokes struct {
	k      keys
	queued bool
}

type pokesKey struct{}

func (p *poker) add(k keys) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending == nil {
		p.pending = map[string]bool{}
	}
	for _, key := range k {
		p.pending[key] = true
	}
	if p.timer == nil {
		p.timer = time.AfterFunc(PokeDelay, p.flush)
	}
}

func (p *poker) flush() {
	p.mu.Lock()
	changed := p.pending
	p.pending, p.timer = nil, nil
	p.mu.Unlock()

	var listeners []subscriptions.Client
	for _, client := range p.app.SubscriptionsBroker().Clients() {
		if client.HasSubscription(Topic) {
			listeners = append(listeners, client)
		}
	}
	if len(listeners) == 0 || !p.app.IsBootstrapped() {
		return
	}
	latest, err := head(p.app)
	if err != nil {
		p.app.Logger().Warn("sync: poke skipped", "error", err)
		return
	}
	data, _ := json.Marshal(map[string]string{"cursor": latest.String()})
	msg := subscriptions.Message{Name: Topic, Data: data}
	who := resolve(p.app, changed)
	for _, client := range listeners {
		auth, _ := client.Get(apis.RealtimeClientAuthKey).(*core.Record)
		if auth == nil || auth.Collection().Name != "users" || !who.concerns(auth) {
			continue
		}
		go client.Send(msg) // Send blocks until the SSE loop reads it
	}
}

// concerned is who a flush's changed keys concern, resolved once per flush
// so that each of thousands of listeners costs a few map lookups.
type concerned struct {
	all, staff bool
	users      map[string]bool // u: keys, and the viewers of v: teams
	lineage    map[string]bool // t: teams: their members and subteams' members
	inLineage  map[string]bool // memo: a user's team → its ancestors meet lineage
	app        core.App
}

func resolve(app core.App, changed map[string]bool) *concerned {
	c := &concerned{users: map[string]bool{}, lineage: map[string]bool{}, inLineage: map[string]bool{}, app: app}
	for key := range changed {
		switch {
		case key == keyAll:
			c.all = true
		case key == keyStaff:
			c.staff = true
		case strings.HasPrefix(key, "u:"):
			c.users[key[2:]] = true
		case strings.HasPrefix(key, "v:"):
			if t, err := app.FindRecordById("teams", key[2:]); err == nil {
				for _, id := range t.GetStringSlice("viewers") {
					c.users[id] = true
				}
			}
		case strings.HasPrefix(key, "t:"):
			c.lineage[key[2:]] = true
		}
	}
	return c
}

// concerns reports whether any changed key is one of user's keys.
func (c *concerned) concerns(user *core.Record) bool {
	if c.all || c.users[user.Id] || (c.staff && isStaff(user.GetString("role"))) {
		return true
	}
	team := user.GetString("team")
	if len(c.lineage) == 0 || team == "" {
		return false
	}
	in, ok := c.inLineage[team]
	if !ok {
		if t, err := c.app.FindRecordById("teams", team); err == nil {
			in = slices.ContainsFunc(t.GetStringSlice("ancestors"), func(id string) bool { return c.lineage[id] })
		}
		c.inLineage[team] = in
	}
	return in
}
