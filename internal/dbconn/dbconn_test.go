package dbconn

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
)

func open(t *testing.T) *dbx.DB {
	t.Helper()
	db, err := Connect(filepath.Join(t.TempDir(), "data.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.DB().SetMaxOpenConns(1) // one connection: every statement meets the same cache
	t.Cleanup(func() { db.Close() })
	for _, q := range []string{
		"CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
		"INSERT INTO t (name) VALUES ('a'), ('b'), ('c')",
	} {
		if _, err := db.NewQuery(q).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func names(t *testing.T, db dbx.Builder, q string, params dbx.Params) []string {
	t.Helper()
	var out []string
	if err := db.NewQuery(q).Bind(params).Column(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// A cached statement answers with the values bound this time, again and
// again, and dbx keeps its SQLite dialect.
func TestReuseBindsFreshValues(t *testing.T) {
	db := open(t)
	for i, want := range []string{"a", "b", "c", "a"} {
		got := names(t, db, "SELECT name FROM t WHERE id = {:id}", dbx.Params{"id": i%3 + 1})
		if len(got) != 1 || got[0] != want {
			t.Fatalf("call %d: %v, want %s", i, got, want)
		}
	}
	if sql := db.Select("name").From("t").Build().SQL(); !strings.Contains(sql, "`t`") {
		t.Errorf("dbx does not quote for SQLite: %s", sql)
	}
}

// Inside a transaction, a statement can run while rows of the same SQL are
// still open (a nested lookup while iterating): it gets its own one-off.
func TestNestedUseOfABusyStatement(t *testing.T) {
	db := open(t)
	const q = "SELECT name FROM t WHERE id >= {:id} ORDER BY id"
	err := db.Transactional(func(tx *dbx.Tx) error {
		rows, err := tx.NewQuery(q).Bind(dbx.Params{"id": 1}).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		var outer []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				return err
			}
			outer = append(outer, name)
			if inner := names(t, tx, q, dbx.Params{"id": 3}); len(inner) != 1 || inner[0] != "c" {
				return fmt.Errorf("inner query while %s was current: %v", name, inner)
			}
		}
		if strings.Join(outer, "") != "abc" {
			return fmt.Errorf("outer rows disturbed by the inner query: %v", outer)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	// and the cached statement is free again afterwards
	if got := names(t, db, q, dbx.Params{"id": 2}); strings.Join(got, "") != "bc" {
		t.Fatalf("after the transaction: %v", got)
	}
}

// A failed statement (a constraint) reports its error and stays usable;
// a schema change is picked up by statements prepared before it.
func TestErrorsAndSchemaChanges(t *testing.T) {
	db := open(t)
	insert := func(name string) error {
		_, err := db.NewQuery("INSERT INTO t (name) VALUES ({:n})").Bind(dbx.Params{"n": name}).Execute()
		return err
	}
	if err := insert("a"); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("duplicate insert: %v", err)
	}
	if err := insert("d"); err != nil {
		t.Fatalf("insert after a failed one: %v", err)
	}
	if _, err := db.NewQuery("ALTER TABLE t ADD COLUMN note TEXT NOT NULL DEFAULT 'n'").Execute(); err != nil {
		t.Fatal(err)
	}
	var rows []dbx.NullStringMap
	if err := db.NewQuery("SELECT * FROM t WHERE id = {:id}").Bind(dbx.Params{"id": 4}).All(&rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0]["note"].String != "n" || rows[0]["name"].String != "d" {
		t.Fatalf("after ALTER TABLE: %v", rows)
	}
}

// More distinct statements than the cache holds: the least recently used
// are closed and prepared again when they come back.
func TestEviction(t *testing.T) {
	db := open(t)
	for round := range 2 {
		for i := range cacheSize + 10 {
			q := fmt.Sprintf("SELECT name FROM t WHERE id = {:id} AND %d = %d", i, i)
			if got := names(t, db, q, dbx.Params{"id": 2}); len(got) != 1 || got[0] != "b" {
				t.Fatalf("round %d, statement %d: %v", round, i, got)
			}
		}
	}
	if n := len(cachedOn(t, db)); n != cacheSize {
		t.Fatalf("%d statements cached, want %d", n, cacheSize)
	}
}

// A statement is kept from its second use: texts that never repeat do not
// take the places of those that do.
func TestOnlyRepeatedStatementsAreKept(t *testing.T) {
	db := open(t)
	const repeated = "SELECT name FROM t WHERE id = {:id}"
	for i := range 2 * cacheSize {
		names(t, db, fmt.Sprintf("SELECT name FROM t WHERE id = {:id} AND 'once%d' != ''", i), dbx.Params{"id": 1})
		if got := names(t, db, repeated, dbx.Params{"id": 2}); len(got) != 1 || got[0] != "b" {
			t.Fatalf("repeated statement, use %d: %v", i, got)
		}
	}
	kept := cachedOn(t, db)
	if len(kept) != 1 || kept[0] != "SELECT name FROM t WHERE id = ?" {
		t.Fatalf("cached %q, want only the repeated statement", kept)
	}
}

// cachedOn lists the statements db's (single) connection keeps.
func cachedOn(t *testing.T, db *dbx.DB) []string {
	t.Helper()
	sc, err := db.DB().Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	var out []string
	err = sc.Raw(func(c any) error {
		for q := range c.(*conn).stmts {
			out = append(out, q)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Commits leave the WAL alone; the background checkpointer copies it into
// the database file, and when the last connection closes it is gone too,
// and so is the WAL.
func TestBackgroundCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wal.db")
	wdb, err := Connect(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wdb.NewQuery("CREATE TABLE big (v TEXT)").Execute(); err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	before := size()
	for range 200 {
		if _, err := wdb.NewQuery("INSERT INTO big (v) VALUES (hex(randomblob(2000)))").Execute(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for size() < before+400_000 {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes (was %d): the WAL was not checkpointed", size(), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	wdb.Close()
	files.mu.Lock()
	_, running := files.running[path]
	files.mu.Unlock()
	if running {
		t.Error("checkpointer still running after the last connection closed")
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Errorf("the WAL is left behind after the last connection closed: %v", err)
	}
}

// The logs database gets a small page cache; the data database keeps
// PocketBase's.
func TestAuxiliaryDatabaseHasASmallPageCache(t *testing.T) {
	dir := t.TempDir()
	for file, want := range map[string]int{"data.db": -32000, "auxiliary.db": -2000} {
		db, err := Connect(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if err := db.NewQuery("PRAGMA cache_size").Row(&got); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if got != want {
			t.Errorf("%s: cache_size %d, want %d", file, got, want)
		}
	}
}
