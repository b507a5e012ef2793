// Package notify tells users what happened that concerns them: a notification
// record (synced to their phone, shown offline) for each notice.
package notify

import "github.com/pocketbase/pocketbase/core"

// Notice is one message to one user.
type Notice struct {
	User  string // users id of the recipient
	Kind  string // what happened, e.g. "decision", "complaint_breached", "handover"
	Title string
	Body  string
	Link  string // optional: where to act on it
}

// Send records n for its user. It runs in the caller's app, so a notice
// caused by a write commits or rolls back with that write.
func Send(app core.App, n Notice) error {
	col, err := app.FindCachedCollectionByNameOrId("notifications")
	if err != nil {
		return err
	}
	r := core.NewRecord(col)
	r.Set("user", n.User)
	r.Set("kind", n.Kind)
	r.Set("title", n.Title)
	r.Set("body", n.Body)
	r.Set("link", n.Link)
	return app.Save(r)
}
