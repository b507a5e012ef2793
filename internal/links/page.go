package links

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"rapport/internal/mail"
)

// Pages are html/template files, pages/<name>.<lang>.html.
//
//go:embed pages
var pageFiles embed.FS

var pages = template.Must(template.New("").Funcs(mail.Funcs).ParseFS(pageFiles, "pages/*.html"))

func render(e *core.RequestEvent, status int, name, lang string, data any) error {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name+"."+lang+".html", data); err != nil {
		return err
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	e.Response.Header().Set("Referrer-Policy", "no-referrer") // the token is in the URL
	return e.HTML(status, buf.String())
}

// Problem is why a link cannot be used, shown on the message page.
type Problem struct {
	Status int
	Key    string // invalid, expired, used, changed, not_yours, gone, refused, answered
	Detail string // the rules' own message, for refused
}

func (p *Problem) Error() string { return p.Key }

var (
	problemInvalid = &Problem{Status: http.StatusBadRequest, Key: "invalid"}
	problemExpired = &Problem{Status: http.StatusGone, Key: "expired"}
	problemUsed    = &Problem{Status: http.StatusGone, Key: "used"}
	problemGone    = &Problem{Status: http.StatusNotFound, Key: "gone"}
)

// refused turns an error of the rules into the page's problem: their
// status (400, 403, 404…) and message.
func refused(err error) *Problem {
	var apiErr *router.ApiError
	if !errors.As(err, &apiErr) {
		return nil
	}
	return &Problem{Status: apiErr.Status, Key: "refused", Detail: apiErr.Message}
}

// showProblem renders p (or a 500 for any other error) in lang.
func showProblem(e *core.RequestEvent, lang string, err error) error {
	var p *Problem
	if !errors.As(err, &p) {
		if p = refused(err); p == nil {
			return err
		}
	}
	return render(e, p.Status, "message", lang, p)
}

// visitorLang is the page language for someone the token does not name:
// English when the browser prefers it, else zh-CN.
func visitorLang(e *core.RequestEvent) string {
	if strings.HasPrefix(strings.ToLower(e.Request.Header.Get("Accept-Language")), "en") {
		return "en"
	}
	return mail.Languages[0]
}
