// Package txstate keeps state that lives exactly as long as one database
// transaction: what the transaction already wrote (change-log rows, the
// audit chain's head) and rows it already read. A transaction's writes are
// seen only by itself until it commits, and PocketBase nests transactions
// without savepoints (a nested RunInTransaction joins the outer one, and a
// failure rolls the whole transaction back), so whatever the transaction
// learnt stays true until it ends; it is dropped then, committed or not.
//
// Code that one day rolls back part of a transaction (SAVEPOINT … ROLLBACK
// TO) must first make this package forget that transaction's state: what it
// learnt inside the undone part would otherwise outlive the rows it
// describes.
package txstate

import (
	gosync "sync"

	"github.com/pocketbase/pocketbase/core"
)

var (
	mu   gosync.Mutex
	byTx = map[*core.TxAppInfo]map[any]any{}
)

// Of is the value under key for app's transaction, made by init on first
// use. ok is false when app is not in a transaction: the value is then a
// fresh one, shared with nobody.
func Of[T any](app core.App, key any, init func() *T) (v *T, ok bool) {
	tx := app.TxInfo()
	if tx == nil {
		return init(), false
	}
	mu.Lock()
	values, known := byTx[tx]
	if !known {
		values = map[any]any{}
		byTx[tx] = values
	}
	v, found := values[key].(*T)
	if !found {
		v = init()
		values[key] = v
	}
	mu.Unlock()
	if !known {
		// outside mu: the transaction's end calls forget under its own lock
		tx.OnComplete(func(error) error { forget(tx); return nil })
	}
	return v, true
}

func forget(tx *core.TxAppInfo) {
	mu.Lock()
	delete(byTx, tx)
	mu.Unlock()
}

// Live is how many transactions hold state now (for tests: none once every
// transaction has ended). A transaction that panics never runs its
// completion callbacks in PocketBase, so its state stays until the process
// ends: one entry per panic, which the router recovers from.
func Live() int {
	mu.Lock()
	defer mu.Unlock()
	return len(byTx)
}

// Rows read inside a transaction are kept by Read for the rest of it, until
// the transaction writes their table: a push of ten expenses reads its
// rep's team, her manager and the customer's name once, not ten times.
// Watch binds that invalidation to the record model events, which every
// write of a record goes through; Read caches nothing for an app whose
// events are not watched, nor outside a transaction. Code that writes a
// table with a plain statement inside a transaction calls Wrote.

const rootKey = "rapport.txstate.root"

// Watch enables Read's cache for app and binds its invalidation. app is
// kept in its own store (which its transactions share) as their Root.
func Watch(app core.App) {
	app.Store().Set(rootKey, app)
	drop := func(e *core.ModelEvent) error {
		table := e.Model.TableName()
		dropReads(e.App, table)
		err := e.Next()
		// also after: a read made by the write's own hooks saw the old row
		dropReads(e.App, table)
		return err
	}
	app.OnModelCreateExecute().BindFunc(drop)
	app.OnModelUpdateExecute().BindFunc(drop)
	app.OnModelDeleteExecute().BindFunc(drop)
}

// Root is the app Watch was given, for app or one of its transactions (nil
// if Watch was not bound): the one to run code with once app's transaction
// has ended, as PocketBase runs its after-commit events with the app the
// transaction started from.
func Root(app core.App) core.App {
	root, _ := app.Store().Get(rootKey).(core.App)
	return root
}

// reads are a transaction's cached reads: table → key → value.
type reads map[string]map[string]any

type readsKey struct{}

// Read is load's value for key (what is read, and of which row) of table,
// loaded once per transaction until the transaction writes table. What it
// returns is shared: callers must not change it.
func Read[T any](app core.App, table, key string, load func() (T, error)) (T, error) {
	if cached, found := lookup(app, table, key); found {
		return cached.(T), nil
	}
	v, err := load()
	if err == nil {
		store(app, table, key, v)
	}
	return v, err
}

// Know hands Read records the transaction has just read whole (the daily
// job reads its customers a batch at a time): a later Read of one of their
// rows may build its value from the record (Known) instead of querying.
// They are forgotten like any other read when their table is written.
func Know(app core.App, records ...*core.Record) {
	for _, r := range records {
		store(app, r.Collection().Name, knownKey(r.Id), r)
	}
}

// ReadRecord is Read of the whole record id of table, which Know may have
// handed over already. What it returns is shared: callers must not change it.
func ReadRecord(app core.App, table, id string, load func() (*core.Record, error)) (*core.Record, error) {
	return Read(app, table, knownKey(id), load)
}

// Known is the record of table id that app's transaction handed to Know
// or read whole (ReadRecord), if it still holds. What it returns is shared:
// callers must not change it.
func Known(app core.App, table, id string) (*core.Record, bool) {
	v, _ := lookup(app, table, knownKey(id))
	r, _ := v.(*core.Record)
	return r, r != nil // ReadRecord may have cached a record that was not there
}

func knownKey(id string) string { return "record/" + id }

// cache is app's transaction's reads (nil outside a transaction, or when
// Watch was not bound for app).
func cache(app core.App) *reads {
	if Root(app) == nil {
		return nil
	}
	c, inTx := Of(app, readsKey{}, func() *reads { return &reads{} })
	if !inTx {
		return nil
	}
	return c
}

func lookup(app core.App, table, key string) (any, bool) {
	c := cache(app)
	if c == nil {
		return nil, false
	}
	mu.Lock()
	defer mu.Unlock()
	v, found := (*c)[table][key]
	return v, found
}

func store(app core.App, table, key string, v any) {
	c := cache(app)
	if c == nil {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	if (*c)[table] == nil {
		(*c)[table] = map[string]any{}
	}
	(*c)[table][key] = v
}

// Wrote tells Read that app's transaction wrote table without the record
// events (a plain statement): what it read of table is read again.
func Wrote(app core.App, table string) { dropReads(app, table) }

// dropReads forgets what app's transaction read of table.
func dropReads(app core.App, table string) {
	tx := app.TxInfo()
	if tx == nil {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	if cache, ok := byTx[tx][readsKey{}].(*reads); ok {
		delete(*cache, table)
	}
}
