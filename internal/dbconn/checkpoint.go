package dbconn

import (
	"database/sql"
	gosync "sync"
	"time"
)

// By default SQLite checkpoints the WAL inside a commit, once the WAL holds
// 1000 pages: that commit copies pages into the database file and waits for
// fsync while holding the only write lock, and every writer queues behind
// it (in the bench, checkpoints were half the mean commit time of an expense
// create). Our connections turn that off, and while a database file has
// connections open, a checkpointer does PASSIVE checkpoints of it in the
// background on a connection of its own: they copy what they can without
// waiting for, or blocking, readers and the writer.
const checkpointEvery = 100 * time.Millisecond

// files counts our open connections per database file and runs one
// checkpointer per file while that count is above zero. The last close
// waits for the checkpointer to close its connection too, so that SQLite's
// last-close checkpoint leaves no WAL behind (backups and restores expect
// closed files).
var files = &fileSet{open: map[string]int{}, running: map[string]checkpointing{}}

type fileSet struct {
	mu      gosync.Mutex
	open    map[string]int
	running map[string]checkpointing
}

type checkpointing struct{ stop, done chan struct{} }

func (f *fileSet) opened(file string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.open[file]++
	if f.open[file] == 1 {
		c := checkpointing{stop: make(chan struct{}), done: make(chan struct{})}
		f.running[file] = c
		go checkpointer(file, c)
	}
}

func (f *fileSet) closed(file string) {
	f.mu.Lock()
	f.open[file]--
	c, last := f.running[file], f.open[file] == 0
	if last {
		delete(f.running, file)
		delete(f.open, file)
	}
	f.mu.Unlock()
	if last {
		close(c.stop)
		<-c.done
	}
}

func checkpointer(file string, c checkpointing) {
	defer close(c.done)
	db, err := sql.Open("sqlite", file+defaultPragmas)
	if err != nil {
		return // commits are unaffected; the WAL grows until the last close
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
			// SQLITE_BUSY (another checkpoint is running) is fine: next tick
			db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}
