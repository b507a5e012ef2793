package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Sync protocol tables (internal/sync). Plain tables, not collections: they
// are the protocol's bookkeeping, never exposed through the records API.
//
//	_sync_clients    one row per app install, bound to its first user
//	_sync_mutations  the stored result of every pushed mutation (replays),
//	                 with the payload of rejected ones until dismissed
//	_sync_changes    the change log: one row per (audience, changed record);
//	                 seq is the pull cursor, (aud, seq) makes a pull a seek,
//	                 (rid, seq) finds a record's later changes
//	_sync_resets     per-user scope epoch: a cursor older than it must reset
//	_sync_state      counters such as the pruned horizon
var syncTables = []string{
	`CREATE TABLE _sync_clients (
		id               TEXT PRIMARY KEY NOT NULL,
		user             TEXT NOT NULL,
		last_mutation_id INTEGER NOT NULL DEFAULT 0,
		created          INTEGER NOT NULL,
		seen             INTEGER NOT NULL
	) WITHOUT ROWID`,
	`CREATE TABLE _sync_mutations (
		client    TEXT NOT NULL,
		id        INTEGER NOT NULL,
		status    TEXT NOT NULL,
		result    TEXT NOT NULL,
		payload   TEXT NOT NULL DEFAULT '',
		dismissed INTEGER NOT NULL DEFAULT 0,
		created   INTEGER NOT NULL,
		PRIMARY KEY (client, id)
	) WITHOUT ROWID`,
	`CREATE INDEX _sync_mutations_open ON _sync_mutations (client, id) WHERE status = 'rejected' AND dismissed = 0`,
	`CREATE TABLE _sync_changes (
		seq  INTEGER PRIMARY KEY AUTOINCREMENT,
		aud  TEXT NOT NULL,
		coll TEXT NOT NULL,
		rid  TEXT NOT NULL,
		at   INTEGER NOT NULL
	)`,
	`CREATE INDEX _sync_changes_aud ON _sync_changes (aud, seq)`,
	`CREATE INDEX _sync_changes_rid ON _sync_changes (rid, seq)`,
	`CREATE TABLE _sync_resets (
		user TEXT PRIMARY KEY NOT NULL,
		seq  INTEGER NOT NULL
	) WITHOUT ROWID`,
	`CREATE TABLE _sync_state (
		key   TEXT PRIMARY KEY NOT NULL,
		value INTEGER NOT NULL
	) WITHOUT ROWID`,
}

func init() {
	m.Register(func(app core.App) error {
		for _, sql := range syncTables {
			if _, err := app.DB().NewQuery(sql).Execute(); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		for _, t := range []string{"_sync_state", "_sync_resets", "_sync_changes", "_sync_mutations", "_sync_clients"} {
			if _, err := app.DB().NewQuery("DROP TABLE IF EXISTS " + t).Execute(); err != nil {
				return err
			}
		}
		return nil
	})
}
