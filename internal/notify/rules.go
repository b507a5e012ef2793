package notify

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/violation"
)

// bindRules: a user marks their own notices read (the collection's update
// rule says whose); read_at is the only field a client changes. On the
// record event, so the REST API, the batch API and the sync push all obey.
func bindRules(app core.App) {
	actor.Require(app, "notifications")
	app.OnRecordUpdate("notifications").BindFunc(func(e *core.RecordEvent) error {
		if actor.Client(e.Record) != nil {
			original := e.Record.Original()
			for _, f := range []string{"user", "kind", "title", "body", "link"} {
				if e.Record.GetString(f) != original.GetString(f) {
					return violation.New(f, "read_only", "%s is set by the server and cannot be changed; only read_at can be.", f)
				}
			}
		}
		return e.Next()
	})
}
