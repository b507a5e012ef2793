package sync_test

import (
	"context"
	"testing"
	"time"

	"rapport/internal/sync"
	"rapport/internal/testkit"
)

// TestPokeOverSSE: a device subscribed to the sync topic is poked after a
// change it may see, not after one it may not, and the poke carries only a
// cursor.
func TestPokeOverSSE(t *testing.T) {
	e := newEnv(t)
	rita := e.client("rita", "ritaphone01")
	pokes := make(chan string, 16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = rita.Listen(ctx, func(cursor string) { pokes <- cursor }) }()
	select {
	case c := <-pokes:
		if c != "" {
			t.Fatalf("first callback should be the connect, got %q", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no realtime connection")
	}

	// let the pokes of the org's creation go by: wait for a quiet spell
	for quiet := false; !quiet; {
		select {
		case <-pokes:
		case <-time.After(3 * sync.PokeDelay):
			quiet = true
		}
	}

	edit := func(owner, address string) {
		c := e.o.Reload(t, e.o.Customers[owner])
		c.Set("address", address)
		if err := testkit.Save(e.app, nil, c); err != nil {
			t.Fatal(err)
		}
	}

	// rob's customer: not rita's business. Wait well past the coalescing
	// delay before the visible change so the two cannot share a poke.
	edit("rob", "elsewhere")
	select {
	case c := <-pokes:
		t.Fatalf("poked (%q) for a change rita may not see", c)
	case <-time.After(3 * sync.PokeDelay):
	}

	edit("rita", "1 Main St")
	select {
	case c := <-pokes:
		if c == "" {
			t.Fatal("poke without a cursor")
		}
		if err := rita.Pull(ctx); err != nil {
			t.Fatal(err)
		}
		if rita.Store()["customers"][e.o.Customers["rita"].Id]["address"] != "1 Main St" {
			t.Fatal("the pull after the poke does not carry the change")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no poke after a change rita may see")
	}
}
