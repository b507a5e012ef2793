// Package mailtest is a small SMTP server on loopback for tests: it takes
// whatever PocketBase's mailer sends and hands over each message decoded
// (subject, plain text, HTML), so tests read real mail.
package mailtest

import (
	"bufio"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"encoding/base64"

	"github.com/pocketbase/pocketbase/core"
)

// Mail is one received message.
type Mail struct {
	To      []string
	Subject string
	Text    string
	HTML    string
}

// Inbox receives the mail sent to the server.
type Inbox struct {
	mails chan Mail
}

// Start runs an SMTP server for the test's lifetime and points app's mail
// settings at it (SMTP on, sender set). It unbinds the PocketBase test
// app's stand-in mailer so that mail really goes over SMTP.
func Start(t testing.TB, app core.App) *Inbox {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	in := &Inbox{mails: make(chan Mail, 100)}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go in.session(conn)
		}
	}()
	app.OnMailerSend().UnbindAll()
	s := app.Settings()
	s.SMTP.Enabled = true
	s.SMTP.Host = "127.0.0.1"
	s.SMTP.Port = ln.Addr().(*net.TCPAddr).Port
	s.Meta.SenderAddress = "rapport@example.com"
	s.Meta.SenderName = "Rapport"
	return in
}

// session speaks just enough SMTP for net/smtp.
func (in *Inbox) session(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	reply := func(s string) { io.WriteString(conn, s+"\r\n") }
	reply("220 localhost ESMTP test")
	var to []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			reply("250 localhost")
		case strings.HasPrefix(cmd, "MAIL FROM"):
			to = nil
			reply("250 OK")
		case strings.HasPrefix(cmd, "RCPT TO"):
			addr := strings.TrimSpace(line[strings.Index(line, ":")+1:])
			to = append(to, strings.Trim(addr, "<>\r\n "))
			reply("250 OK")
		case cmd == "DATA":
			reply("354 end with .")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			m := parse(data.String())
			m.To = to
			in.mails <- m
			reply("250 OK queued")
		case cmd == "QUIT":
			reply("221 bye")
			return
		default: // RSET, NOOP
			reply("250 OK")
		}
	}
}

// parse decodes a MIME message into its subject and text and HTML parts.
func parse(raw string) Mail {
	var m Mail
	msg, err := netmail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		return m
	}
	dec := new(mime.WordDecoder)
	if s, err := dec.DecodeHeader(msg.Header.Get("Subject")); err == nil {
		m.Subject = s
	}
	walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &m)
	return m
}

func walk(contentType, encoding string, body io.Reader, m *Mail) {
	media, params, _ := mime.ParseMediaType(contentType)
	if strings.HasPrefix(media, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, m)
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &stripNewlines{r: body})
	}
	b, _ := io.ReadAll(body)
	switch media {
	case "text/plain":
		m.Text += string(b)
	case "text/html":
		m.HTML += string(b)
	}
}

type stripNewlines struct{ r io.Reader }

func (s *stripNewlines) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	j := 0
	for _, c := range p[:n] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}

// Next waits for the next mail (failing the test after a few seconds).
func (in *Inbox) Next(t testing.TB) Mail {
	t.Helper()
	select {
	case m := <-in.mails:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no mail arrived")
		return Mail{}
	}
}

// None checks that no mail arrives within wait.
func (in *Inbox) None(t testing.TB, wait time.Duration) {
	t.Helper()
	select {
	case m := <-in.mails:
		t.Fatalf("unexpected mail to %v: %s", m.To, m.Subject)
	case <-time.After(wait):
	}
}
