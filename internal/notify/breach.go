package notify

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/mail"
	"rapport/internal/org"
)

// Breach tells user that complaint c about customer was not answered by its
// response_due, in their language and with times in the org's zone; it runs
// in the transaction that marks the breach.
func Breach(app core.App, user, c, customer *core.Record) error {
	s, err := org.LoadSettings(app)
	if err != nil {
		return err
	}
	at := func(field string) string {
		return c.GetDateTime(field).Time().In(s.Location).Format("2006-01-02 15:04")
	}
	name, summary := customer.GetString("name"), c.GetString("summary")
	var title, body string
	if mail.Lang(user) == "en" {
		title = fmt.Sprintf("Complaint from %s not answered in time", name)
		body = fmt.Sprintf("%q (received %s) was due a first response by %s.", summary, at("received_at"), at("response_due"))
	} else {
		title = fmt.Sprintf("%s 的投诉未在时限内答复", name)
		body = fmt.Sprintf("「%s」（%s 收到）应在 %s 前首次答复。", summary, at("received_at"), at("response_due"))
	}
	return Send(app, Notice{User: user.Id, Kind: "complaint_breached", Title: title, Body: body, Link: "complaints/" + c.Id})
}
