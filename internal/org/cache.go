package org

import (
	"sync"

	"github.com/pocketbase/pocketbase/core"
)

// The settings and tiers are read on almost every write and change rarely.
// Watch caches them per data directory. A write to org_settings or
// tier_policies bypasses the cache from the moment it starts until it
// commits or fails, then drops it, so a dashboard edit takes effect with
// the next write. A generation counter keeps a load that raced with an
// invalidation from being cached.
type entry struct {
	gen      uint64
	writing  int
	settings *Settings
	tiers    []Tier
}

var cache = struct {
	sync.Mutex
	dirs map[string]*entry
}{dirs: map[string]*entry{}}

// Watch enables the cache for app and binds its invalidation.
func Watch(app core.App) {
	dir := app.DataDir()
	cache.Lock()
	cache.dirs[dir] = &entry{}
	cache.Unlock()

	bump := func(delta int) {
		cache.Lock()
		c := cache.dirs[dir]
		c.gen++
		c.writing += delta
		c.settings, c.tiers = nil, nil
		cache.Unlock()
	}
	write := func(e *core.RecordEvent) error {
		bump(1)
		err := e.Next()
		if tx := e.App.TxInfo(); tx != nil {
			tx.OnComplete(func(error) error { bump(-1); return nil })
		} else {
			bump(-1)
		}
		return err
	}
	app.OnRecordCreate("org_settings", "tier_policies").BindFunc(write)
	app.OnRecordUpdate("org_settings", "tier_policies").BindFunc(write)
	app.OnRecordDelete("org_settings", "tier_policies").BindFunc(write)
}

// cached returns get(entry) when cached, else loads and caches it.
func cached[T any](app core.App, get func(*entry) T, set func(*entry, T), load func() (T, error)) (T, error) {
	cache.Lock()
	c := cache.dirs[app.DataDir()]
	var gen uint64
	if c != nil {
		if v := get(c); c.writing == 0 && !isNil(v) {
			cache.Unlock()
			return v, nil
		}
		gen = c.gen
	}
	cache.Unlock()

	v, err := load()
	if err != nil || c == nil {
		return v, err
	}
	cache.Lock()
	if c.gen == gen && c.writing == 0 {
		set(c, v)
	}
	cache.Unlock()
	return v, nil
}

func isNil(v any) bool {
	switch x := v.(type) {
	case *Settings:
		return x == nil
	case []Tier:
		return x == nil
	}
	return v == nil
}
