// Package dbconn opens PocketBase's SQLite database the way
// core.DefaultDBConnect does, through a driver that keeps each connection's
// prepared statements.
//
// The modernc driver compiles every statement it is given anew and throws
// it away afterwards, and dbx keeps no statements either, so a rule-checked
// write spent a fifth of its CPU parsing SQL it had parsed a millisecond
// before (docs/benchmarks.md). The SQL text PocketBase and dbx build is
// stable (values are bound parameters; the records API's create-rule checks
// are made so in createrule.go), so a small cache per connection, keyed by
// that text, turns nearly every statement into bind + step.
package dbconn

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"hash/maphash"
	"path/filepath"
	"reflect"
	"strings"
	gosync "sync"
	"sync/atomic"

	"github.com/pocketbase/dbx"
	_ "modernc.org/sqlite" // registers "sqlite"
)

// DriverName is the database/sql driver Connect registers.
const DriverName = "rapport_sqlite"

// cacheSize bounds the statements kept per connection (the hot paths use a
// few dozen), and maxCached those kept by all connections together:
// prepared statements live outside the Go heap, and a burst of requests
// opens up to 120 readers (5,000 realtime clients connecting at once cost
// 19 MB of RSS before this bound).
const (
	cacheSize = 128
	maxCached = 256
)

// A statement is kept from its second use on a connection. Statements used
// once (schema changes, IN lists of a new length, the dashboard's queries)
// would otherwise fill the cache and push out the ones that repeat.
// seenSize bounds the texts remembered, as hashes, per connection.
const seenSize = 1024

var seed = maphash.MakeSeed()

// cachedTotal counts the statements all connections keep.
var cachedTotal atomic.Int64

// pragmas are core.DefaultDBConnect's, and commits leave the WAL to the
// checkpointer (checkpoint.go).
const pragmas = defaultPragmas + "&_pragma=wal_autocheckpoint(0)"

// auxPragmas give the auxiliary database (PocketBase's request logs) a 2 MB
// page cache per connection instead of 32 MB. Logs are appended in batches and read a page at a
// time, but PocketBase deletes old logs with a scan of the whole table on
// every settings reload, boot included, and the connection then keeps the
// pages it read: 20 MB of the bench's realtime server (300 MB budget) after
// the logs of the bench's other scenarios (docs/benchmarks.md).
var auxPragmas = strings.Replace(pragmas, "cache_size(-32000)", "cache_size(-2000)", 1)

const defaultPragmas = "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=journal_size_limit(200000000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32000)"

var register gosync.Once

// Connect is a core.DBConnectFunc.
func Connect(dbPath string) (*dbx.DB, error) {
	register.Do(func() {
		// the modernc driver as registered, with any functions and hooks added to it
		db, _ := sql.Open("sqlite", "")
		sql.Register(DriverName, &cachingDriver{inner: db.Driver()})
		db.Close()
	})
	p := pragmas
	if filepath.Base(dbPath) == "auxiliary.db" {
		p = auxPragmas
	}
	db, err := sql.Open(DriverName, dbPath+p)
	if err != nil {
		return nil, err
	}
	return dbx.NewFromDB(db, "sqlite"), nil // dbx's SQLite dialect
}

type cachingDriver struct{ inner driver.Driver }

func (d *cachingDriver) Open(name string) (driver.Conn, error) {
	c, err := d.inner.Open(name)
	if err != nil {
		return nil, err
	}
	inner, ok := c.(innerConn)
	if !ok {
		c.Close()
		return nil, errors.New("dbconn: the sqlite driver's connections no longer offer what database/sql needs from them")
	}
	file, _, _ := strings.Cut(name, "?")
	files.opened(file)
	return &conn{inner: inner, file: file, lru: list.New(), stmts: map[string]*list.Element{}, seen: map[uint64]struct{}{}}, nil
}

// innerConn is what the modernc connection implements and database/sql uses.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// conn is used by one goroutine at a time (database/sql's contract), but a
// transaction may run a statement while rows of the same statement are
// still open; such a statement is busy and the second use gets a one-off.
type conn struct {
	inner innerConn
	file  string
	lru   *list.List // of *cached, most recently used first
	stmts map[string]*list.Element
	seen  map[uint64]struct{} // hashes of the texts used once
}

type cached struct {
	query string
	stmt  driver.Stmt
	busy  bool
}

// statement returns the cached statement for query, preparing it on first
// use, and a release func to call when the statement is done with; a busy
// statement yields a one-off that release closes.
func (c *conn) statement(ctx context.Context, query string) (driver.Stmt, func(), error) {
	if el, ok := c.stmts[query]; ok {
		s := el.Value.(*cached)
		if !s.busy {
			c.lru.MoveToFront(el)
			s.busy = true
			return s.stmt, func() { s.busy = false }, nil
		}
		return c.oneOff(ctx, query)
	}
	if h := maphash.String(seed, query); !c.sawBefore(h) {
		return c.oneOff(ctx, query)
	}
	if c.lru.Len() >= cacheSize {
		last := c.lru.Back()
		if last.Value.(*cached).busy {
			return c.oneOff(ctx, query)
		}
		c.evict(last)
	}
	if cachedTotal.Load() >= maxCached {
		return c.oneOff(ctx, query)
	}
	st, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	cachedTotal.Add(1)
	s := &cached{query: query, stmt: st, busy: true}
	c.stmts[query] = c.lru.PushFront(s)
	return st, func() { s.busy = false }, nil
}

// sawBefore reports whether the text hashed h was used on c before, and
// remembers it.
func (c *conn) sawBefore(h uint64) bool {
	if _, ok := c.seen[h]; ok {
		delete(c.seen, h)
		return true
	}
	if len(c.seen) >= seenSize {
		clear(c.seen)
	}
	c.seen[h] = struct{}{}
	return false
}

func (c *conn) evict(el *list.Element) {
	s := el.Value.(*cached)
	c.lru.Remove(el)
	delete(c.stmts, s.query)
	s.stmt.Close()
	cachedTotal.Add(-1)
}

func (c *conn) oneOff(ctx context.Context, query string) (driver.Stmt, func(), error) {
	st, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	return st, func() { st.Close() }, nil
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	st, release, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	defer release()
	return st.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	query, args = canonicalCreateCheck(query, args)
	st, release, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	r, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		release()
		return nil, err
	}
	return &rows{Rows: r, release: release}, nil
}

func (c *conn) Close() error {
	for c.lru.Len() > 0 {
		c.evict(c.lru.Back())
	}
	files.closed(c.file)
	return c.inner.Close()
}

func (c *conn) Prepare(query string) (driver.Stmt, error) { return c.inner.Prepare(query) }
func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.inner.PrepareContext(ctx, query)
}
func (c *conn) Begin() (driver.Tx, error) {
	return c.inner.BeginTx(context.Background(), driver.TxOptions{})
}
func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.BeginTx(ctx, opts)
}
func (c *conn) Ping(ctx context.Context) error         { return c.inner.Ping(ctx) }
func (c *conn) ResetSession(ctx context.Context) error { return c.inner.ResetSession(ctx) }
func (c *conn) IsValid() bool                          { return c.inner.IsValid() }

// rows gives its statement back when closed (a cached statement is reset
// by the driver's rows.Close, ready for the next use). The column type
// methods keep PocketBase's SQL console informative.
type rows struct {
	driver.Rows
	release func()
}

func (r *rows) Close() error {
	err := r.Rows.Close()
	if r.release != nil {
		r.release()
		r.release = nil
	}
	return err
}

func (r *rows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *rows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *rows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
