package notify

import (
	"time"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/mail"
	"rapport/internal/org"
)

// Register binds the notice rules, decision notices and the mail jobs to
// app: rapport_digest (hourly: the digests that are due) and
// rapport_summary (daily at 08:00 org time).
func Register(app core.App) {
	// No SMTP, no mail: without it PocketBase would hand its own mails (login
	// alerts, password resets) to the local sendmail, from a host nobody set up.
	app.OnMailerSend().BindFunc(func(e *core.MailerEvent) error {
		if !mail.Enabled(e.App) {
			e.App.Logger().Info("mail: not sent, SMTP is off", "subject", e.Message.Subject)
			return nil
		}
		return e.Next()
	})
	bindRules(app)
	bindDecisions(app)
	app.Cron().MustAdd("rapport_digest", "0 * * * *", func() {
		if !mail.Enabled(app) {
			return
		}
		if _, err := Digest(app, time.Now()); err != nil {
			app.Logger().Error("notify: digest failed", "error", err)
		}
	})
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		scheduleSummary(e.App) // after the migrations: org settings exist
		return e.Next()
	})
	// a new org time zone moves the summary
	app.OnRecordAfterUpdateSuccess("org_settings").BindFunc(func(e *core.RecordEvent) error {
		scheduleSummary(app)
		return e.Next()
	})
}

// scheduleSummary (re)adds rapport_summary at 08:00 in the org time zone as
// of today.
func scheduleSummary(app core.App) {
	loc := time.UTC
	if settings, err := org.LoadSettings(app); err == nil {
		loc = settings.Location
	}
	app.Cron().Add("rapport_summary", SummaryCron(loc, time.Now()), func() {
		if mail.Enabled(app) {
			if _, err := Summary(app, time.Now()); err != nil {
				app.Logger().Error("notify: summary failed", "error", err)
			}
		}
		scheduleSummary(app) // after a daylight-saving change, the next 08:00 is another UTC hour
	})
}
