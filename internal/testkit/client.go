package testkit

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

// Client sends REST requests to an app's router, in-process (NewClient)
// or over real HTTP (ServeClient). Unlike Case it keeps one app across
// requests, for tests that walk through many calls (scope matrices,
// multi-step flows).
type Client struct {
	t   testing.TB
	org *Org
	mux http.Handler // in-process; without one, over HTTP
	url string       // the server's base URL
}

// NewClient calls the router of o.App (Handler) in-process.
func NewClient(t testing.TB, o *Org) *Client {
	t.Helper()
	return &Client{t: t, org: o, mux: Handler(t, o.App)}
}

// ServeClient calls o.App over real HTTP (Serve), for tests that also
// drive other HTTP clients against it (sync devices, realtime).
func ServeClient(t testing.TB, o *Org) *Client {
	t.Helper()
	return &Client{t: t, org: o, url: Serve(t, o.App).URL}
}

// URL is the loopback server's base URL ("" in-process).
func (c *Client) URL() string { return c.url }

// Response is a REST answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic map ("" keys are absent values).
func (r Response) JSON() map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// Code is the rule code of field in an error response.
func (r Response) Code(field string) string {
	data, _ := r.JSON()["data"].(map[string]any)
	f, _ := data[field].(map[string]any)
	code, _ := f["code"].(string)
	return code
}

// Do sends method url as the user called as ("" guest, "superuser", or a
// user of the Org); body is JSON (a string is sent as is, after {placeholder}
// expansion) or nil.
func (c *Client) Do(as, method, url string, body any) Response {
	c.t.Helper()
	return c.Send(as, method, url, "application/json", c.jsonBody(body))
}

// jsonBody is body as JSON (a string as is, after {placeholder} expansion;
// nil is none).
func (c *Client) jsonBody(body any) io.Reader {
	c.t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return strings.NewReader(c.org.Expand(b))
	}
	raw, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	return bytes.NewReader(raw)
}

// Upload sends a multipart form: fields plus one file per files key.
func (c *Client) Upload(as, method, url string, fields map[string]string, files map[string]File) Response {
	c.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = w.WriteField(k, c.org.Expand(v))
	}
	for k, f := range files {
		part, err := w.CreateFormFile(k, f.Name)
		if err != nil {
			c.t.Fatal(err)
		}
		_, _ = part.Write(f.Content)
	}
	if err := w.Close(); err != nil {
		c.t.Fatal(err)
	}
	return c.Send(as, method, url, w.FormDataContentType(), &buf)
}

// File is an upload.
type File struct {
	Name    string
	Content []byte
}

// Send is the raw form of Do.
func (c *Client) Send(as, method, url, contentType string, body io.Reader) Response {
	c.t.Helper()
	return c.SendToken(c.Token(as), method, url, contentType, body)
}

// SendToken sends a request with the given auth token ("" for none).
func (c *Client) SendToken(token, method, url, contentType string, body io.Reader) Response {
	c.t.Helper()
	req := httptest.NewRequest(method, c.url+c.org.Expand(url), body)
	req.Header.Set("content-type", contentType)
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	if c.mux != nil {
		rec := httptest.NewRecorder()
		c.mux.ServeHTTP(rec, req)
		return Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	}
	req.RequestURI = "" // a client's request, not a server's
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// Token is the auth token of as ("" for a guest).
func (c *Client) Token(as string) string {
	switch as {
	case "":
		return ""
	case "superuser":
		return SuperuserToken(c.t, c.org.App)
	}
	return c.org.Token(c.t, as)
}

// SuperuserToken is the token of a superuser (created on first use).
func SuperuserToken(t testing.TB, app core.App) string {
	t.Helper()
	su, err := app.FindAuthRecordByEmail(core.CollectionNameSuperusers, "root@example.com")
	if err != nil {
		su = core.NewRecord(MustCollection(t, app, core.CollectionNameSuperusers))
		su.SetEmail("root@example.com")
		su.SetPassword("password123")
		if err := app.Save(su); err != nil {
			t.Fatal(err)
		}
	}
	return Token(t, su)
}
