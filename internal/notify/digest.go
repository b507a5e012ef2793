package notify

import (
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/links"
	"rapport/internal/mail"
	"rapport/internal/org"
	"rapport/internal/pending"
)

// defaultDigestHours is approval_digest_hours when org settings leave it 0.
const defaultDigestHours = 12

// slack lets an hourly job that fires a little early still count a full
// period: mailed at 08:00:02, the 12-hour digest is due again at 20:00:00.
const slack = 5 * time.Minute

// digestItem is one request in a digest, with its two links.
type digestItem struct {
	*pending.Item
	ApproveURL, RejectURL string
}

// Digest mails every approver whose requests wait and whose last digest is
// at least approval_digest_hours old, one email listing them all. Nothing
// waiting, no email. It returns how many digests were sent.
func Digest(app core.App, now time.Time) (int, error) {
	settings, err := org.LoadSettings(app)
	if err != nil {
		return 0, err
	}
	every := time.Duration(settings.ApprovalDigestHours) * time.Hour
	if every <= 0 {
		every = defaultDigestHours * time.Hour
	}
	waiting, err := pending.Waiting(app)
	if err != nil {
		return 0, err
	}
	sent := 0
	for approverId, records := range waiting {
		if due, err := isDue(app, approverId, "digest", now, every); err != nil || !due {
			if err != nil {
				return sent, err
			}
			continue
		}
		approver, err := app.FindRecordById("users", approverId)
		if err != nil || !approver.GetBool("active") {
			continue // rerouting moves what a departed approver held
		}
		items := make([]digestItem, 0, len(records))
		for _, r := range records {
			it, err := pending.Describe(app, r)
			if err != nil {
				return sent, err
			}
			d := digestItem{Item: it}
			if d.ApproveURL, err = links.ApprovalURL(app, approverId, r, "approve"); err != nil {
				return sent, err
			}
			if d.RejectURL, err = links.ApprovalURL(app, approverId, r, "reject"); err != nil {
				return sent, err
			}
			items = append(items, d)
		}
		err = mail.Send(app, mail.Message{To: mail.To(approver), Lang: mail.Lang(approver), Name: "digest",
			Data: map[string]any{"Name": approver.GetString("name"), "Items": items, "Hours": int(every.Hours()), "Currency": settings.Currency}})
		if err != nil {
			app.Logger().Error("notify: digest not sent", "approver", approverId, "error", err)
			continue // tried again next hour
		}
		if err := markSent(app, approverId, "digest", now); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// isDue reports whether user's last mail of kind is at least every old.
func isDue(app core.App, user, kind string, now time.Time, every time.Duration) (bool, error) {
	var at []int64
	err := app.DB().Select("at").From("_mail_sent").Where(dbx.HashExp{"user": user, "kind": kind}).Column(&at)
	if err != nil || len(at) == 0 {
		return err == nil, err
	}
	return now.Sub(time.Unix(at[0], 0)) >= every-slack, nil
}

// markSent remembers that user was sent a mail of kind at now.
func markSent(app core.App, user, kind string, now time.Time) error {
	_, err := app.DB().NewQuery(`INSERT INTO _mail_sent (user, kind, at) VALUES ({:u}, {:k}, {:t})
		ON CONFLICT (user, kind) DO UPDATE SET at = excluded.at`).
		Bind(dbx.Params{"u": user, "k": kind, "t": now.Unix()}).Execute()
	return err
}
