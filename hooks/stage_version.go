package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/catalog"
)

// Versioned records (catalog Versioned) carry a server `version`: 1 when
// created, +1 on every write, stamped last before the row is written. Sync
// and whole-record forms compare it to tell a stale copy.
func bindVersion(app core.App) {
	bind(app.OnRecordCreateExecute(catalog.Versioned...), StageVersion, "rapport.version", firstVersion)
	bind(app.OnRecordUpdateExecute(catalog.Versioned...), StageVersion, "rapport.version", nextVersion)
}

func firstVersion(e *core.RecordEvent) error {
	e.Record.Set("version", 1)
	return e.Next()
}

func nextVersion(e *core.RecordEvent) error {
	e.Record.Set("version", e.Record.Original().GetInt("version")+1)
	return e.Next()
}
