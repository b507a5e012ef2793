// Package mail renders Rapport's emails from embedded templates (zh-CN and
// en, HTML and plain text) and sends them through PocketBase's mailer, with
// the SMTP settings of the dashboard (Settings → Mail settings).
//
// A template set is two files per language: templates/<name>.<lang>.html
// (html/template: the HTML part) and templates/<name>.<lang>.txt
// (text/template: the plain-text part), which also defines the template
// "<name>.<lang>.subject": the subject line.
package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	netmail "net/mail"
	"strings"
	texttemplate "text/template"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/mailer"

	"rapport/internal/org"
)

//go:embed templates
var files embed.FS

// Languages users may choose (users.language); the first is the default.
var Languages = []string{"zh-CN", "en"}

// Lang is the language of user u's emails and pages: their `language`,
// else zh-CN.
func Lang(u *core.Record) string {
	if u != nil && u.GetString("language") == "en" {
		return "en"
	}
	return Languages[0]
}

// Funcs are the helpers every template (mail or page) may use.
var Funcs = map[string]any{
	"money": org.Money,
	"join":  strings.Join,
}

var (
	htmlSet = htmltemplate.Must(htmltemplate.New("").Funcs(Funcs).ParseFS(files, "templates/*.html"))
	textSet = texttemplate.Must(texttemplate.New("").Funcs(Funcs).ParseFS(files, "templates/*.txt"))
)

// Enabled reports whether mail can go out: SMTP is configured on the
// dashboard. Without it Rapport sends no mail at all (PocketBase would fall
// back to the local sendmail binary).
func Enabled(app core.App) bool { return app.Settings().SMTP.Enabled }

// Message is one email to render and send.
type Message struct {
	To   netmail.Address
	Lang string // zh-CN or en
	Name string // template set, e.g. "notice"
	Data any
}

// Render builds the mail of m: subject, HTML and plain-text parts.
func Render(m Message) (*mailer.Message, error) {
	base := m.Name + "." + m.Lang
	var html, text, subject bytes.Buffer
	if err := htmlSet.ExecuteTemplate(&html, base+".html", m.Data); err != nil {
		return nil, fmt.Errorf("mail %s: %w", base, err)
	}
	tt := textSet.Lookup(base + ".txt")
	if tt == nil {
		return nil, fmt.Errorf("mail %s: no text template", base)
	}
	if err := tt.Execute(&text, m.Data); err != nil {
		return nil, fmt.Errorf("mail %s: %w", base, err)
	}
	if err := textSet.ExecuteTemplate(&subject, base+".subject", m.Data); err != nil {
		return nil, fmt.Errorf("mail %s subject: %w", base, err)
	}
	return &mailer.Message{
		To:      []netmail.Address{m.To},
		Subject: strings.TrimSpace(subject.String()),
		HTML:    html.String(),
		Text:    strings.TrimSpace(text.String()) + "\n",
	}, nil
}

// Send renders m and sends it from the sender set on the dashboard.
func Send(app core.App, m Message) error {
	msg, err := Render(m)
	if err != nil {
		return err
	}
	msg.From = netmail.Address{Name: app.Settings().Meta.SenderName, Address: app.Settings().Meta.SenderAddress}
	return app.NewMailClient().Send(msg)
}

// To is the address of user u.
func To(u *core.Record) netmail.Address {
	return netmail.Address{Name: u.GetString("name"), Address: u.Email()}
}
