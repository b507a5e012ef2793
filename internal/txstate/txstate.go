// Package txstate keeps state that lives exactly as long as one database
// transaction: what the transaction already wrote (change-log rows, the
// audit chain's head) and rows it already read. A transaction's writes are
// seen only by itself until it commits, and PocketBase nests transactions
// without savepoints (a nested RunInTransaction joins the outer one, and a
// failure rolls the whole transaction back), so whatever the transaction
// learnt stays true until it ends; it is dropped then, committed or not.
//
// Code that one day rolls back part of a transaction (SAVEPOINT … ROLLBACK
// TO) must call Forget on it: state learnt inside the undone part would
// otherwise outlive the rows it describes.
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

// Forget drops everything kept for app's transaction.
func Forget(app core.App) {
	if tx := app.TxInfo(); tx != nil {
		forget(tx)
	}
}

func forget(tx *core.TxAppInfo) {
	mu.Lock()
	delete(byTx, tx)
	mu.Unlock()
}

// Live is how many transactions hold state now (for tests: none once every
// transaction has ended).
func Live() int {
	mu.Lock()
	defer mu.Unlock()
	return len(byTx)
}
