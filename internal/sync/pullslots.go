package sync

import (
	"context"
	"runtime"
)

// snapshotSlots bounds the snapshot pages (pulls from nothing, resets)
// computed at once to the machine's cores. A snapshot page is CPU work
// (records read through the list rule); past one per core, more at once only
// share the cores, and the pushes waiting for SQLite's single writer get a
// thinner share: at the end of a day, 64 phones pulling from nothing held
// pushes back for a minute (bench P8; push p99 21 s → 0.23 s with the slots).
// Incremental pages are short and go unqueued. Only the computation holds a
// slot, not sending the page, so a phone on a slow network keeps nobody
// waiting; waiting pulls go in arrival order (a channel serves its blocked
// senders first come, first served).
var snapshotSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// inSnapshotSlot runs compute once a slot is free, or gives up when the
// client has gone.
func inSnapshotSlot(ctx context.Context, compute func() error) error {
	select {
	case snapshotSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-snapshotSlots }()
	return compute()
}
