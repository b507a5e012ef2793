package sync

import (
	"encoding/json"
	"slices"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
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
func (p *poker) afterCommit(app core.App, k keys) {
	if tx := app.TxInfo(); tx != nil {
		tx.OnComplete(func(txErr error) error {
			if txErr == nil {
				p.add(k)
			}
			return nil
		})
		return
	}
	p.add(k)
}

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
	seq, err := currentSeq(p.app)
	if err != nil {
		p.app.Logger().Warn("sync: poke skipped", "error", err)
		return
	}
	data, _ := json.Marshal(map[string]string{"cursor": cursor{Seq: seq}.String()})
	msg := subscriptions.Message{Name: Topic, Data: data}
	teams := map[string]*core.Record{}
	team := func(id string) *core.Record {
		t, ok := teams[id]
		if !ok {
			t, _ = p.app.FindRecordById("teams", id)
			teams[id] = t
		}
		return t
	}
	for _, client := range listeners {
		auth, _ := client.Get(apis.RealtimeClientAuthKey).(*core.Record)
		if auth == nil || auth.Collection().Name != "users" || !concerns(auth, changed, team) {
			continue
		}
		go client.Send(msg) // Send blocks until the SSE loop reads it
	}
}

// concerns reports whether any changed key is one of user's keys.
func concerns(user *core.Record, changed map[string]bool, team func(string) *core.Record) bool {
	if changed[keyAll] || changed["u:"+user.Id] || (changed[keyStaff] && isStaff(user.GetString("role"))) {
		return true
	}
	var own *core.Record
	if id := user.GetString("team"); id != "" {
		own = team(id)
	}
	for key := range changed {
		switch key[:2] {
		case "v:":
			if t := team(key[2:]); t != nil && slices.Contains(t.GetStringSlice("viewers"), user.Id) {
				return true
			}
		case "t:":
			if own != nil && slices.Contains(own.GetStringSlice("ancestors"), key[2:]) {
				return true
			}
		}
	}
	return false
}
