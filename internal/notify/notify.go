// Package notify tells users what happened that concerns them: a notification
// record (synced to their phone, shown offline) for each notice, and an email
// once the write that caused it has committed. It also runs the periodic
// mails: the approval digest (digest.go) and the manager summary
// (summary.go).
package notify

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/mail"
)

// Notice is one message to one user.
type Notice struct {
	User  string // users id of the recipient
	Kind  string // what happened, e.g. "decision", "complaint_breached", "handover"
	Title string
	Body  string
	Link  string // optional: where to act on it
}

// Send records n for its user. It runs in the caller's app, so a notice
// caused by a write commits or rolls back with that write; the email (when
// SMTP is configured) leaves only after that commit, in the user's
// language.
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
	actor.AsServer(r)
	if err := app.Save(r); err != nil {
		return err
	}
	if !mail.Enabled(app) {
		return nil
	}
	user, err := app.FindRecordById("users", n.User)
	if err != nil {
		return err
	}
	afterCommit(app, func(app core.App) {
		err := mail.Send(app, mail.Message{To: mail.To(user), Lang: mail.Lang(user), Name: "notice", Data: n})
		if err != nil {
			app.Logger().Error("notify: mail not sent", "user", n.User, "kind", n.Kind, "error", err)
		}
	})
	return nil
}

// afterCommit runs fn once app's transaction (if any) has committed, in the
// background: a slow mail server must not hold up the write that caused the
// mail, and a rolled-back write sends nothing.
func afterCommit(app core.App, fn func(core.App)) {
	tx := app.TxInfo()
	if tx == nil {
		go fn(app)
		return
	}
	tx.OnComplete(func(txErr error) error {
		if txErr == nil {
			go fn(app) // mail needs only the settings and hooks it shares
		}
		return nil
	})
}
