package sync

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Snapshot pages run at most one per core at once; one waiting for a slot
// runs when a slot frees, and gives up when its client has gone.
func TestSnapshotSlots(t *testing.T) {
	release := make(chan struct{})
	running := make(chan struct{}, cap(snapshotSlots))
	for range cap(snapshotSlots) {
		go func() {
			_ = inSnapshotSlot(context.Background(), func() error { running <- struct{}{}; <-release; return nil })
		}()
	}
	for range cap(snapshotSlots) {
		<-running
	}

	gone, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	ran := false
	if err := inSnapshotSlot(gone, func() error { ran = true; return nil }); !errors.Is(err, context.DeadlineExceeded) || ran {
		t.Fatalf("a pull whose client left while every slot was busy: err %v, ran %v", err, ran)
	}

	done := make(chan error)
	go func() { done <- inSnapshotSlot(context.Background(), func() error { return nil }) }()
	select {
	case <-done:
		t.Fatal("a pull ran while every slot was busy")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the waiting pull, once a slot freed: %v", err)
	}
}
