package links_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/flow"
	"rapport/internal/links"
	"rapport/internal/mail/mailtest"
	"rapport/internal/notify"
	"rapport/internal/testkit"
)

// env is an app with the mail and link machinery on a real HTTP server and
// a real SMTP listener.
type env struct {
	o     *testkit.Org
	inbox *mailtest.Inbox
	rest  *testkit.Client // over the server
	url   string
}

func setup(t *testing.T) *env {
	t.Helper()
	app := testkit.NewApp(t)
	notify.Register(app)
	links.Register(app)
	o := testkit.NewOrg(t, app)
	inbox := mailtest.Start(t, app)
	rest := testkit.ServeClient(t, o)
	return &env{o: o, inbox: inbox, rest: rest, url: rest.URL()}
}

// submitted seeds an approved plan of rita's (1,000 yuan) and submits an
// expense of amount yuan on it as rita: it waits for mia.
func (e *env) submitted(t *testing.T, amountYuan int64) (plan, expense *core.Record) {
	t.Helper()
	return e.o.Submitted(t, 1000, amountYuan)
}

var linkPattern = regexp.MustCompile(`http://127\.0\.0\.1:\d+/l/[A-Za-z0-9_.-]+`)

// get and post follow a link over HTTP.
func get(t *testing.T, link string) (int, string) {
	t.Helper()
	res, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, res)
}

func post(t *testing.T, link string, form url.Values) (int, string) {
	t.Helper()
	res, err := http.PostForm(link, form)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, res)
}

func read(t *testing.T, res *http.Response) (int, string) {
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

func approvals(t *testing.T, app core.App, expense string) int {
	t.Helper()
	n, err := app.CountRecords("approvals", dbx.HashExp{"expense": expense})
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// Mia's digest lists Rita's expense with its links; GET shows a page and
// changes nothing, POST approves as Mia, a second POST is refused; a
// digest is sent at most once per approval_digest_hours and not at all
// when nothing waits.
func TestDigestLinksApproveOnce(t *testing.T) {
	e := setup(t)
	app := e.o.App
	_, x := e.submitted(t, 150)
	now := time.Now()

	if n, err := notify.Digest(app, now); err != nil || n != 1 {
		t.Fatalf("digests sent: %d, %v", n, err)
	}
	m := e.inbox.Next(t)
	if len(m.To) != 1 || m.To[0] != "mia@example.com" {
		t.Fatalf("digest went to %v", m.To)
	}
	for _, want := range []string{"rita", "Acme", "150.00 CNY", "client lunch", "850.00 CNY"} { // plan left after it
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("digest lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.Subject, "1") {
		t.Errorf("subject %q", m.Subject)
	}
	found := linkPattern.FindAllString(m.Text, -1)
	if len(found) != 2 {
		t.Fatalf("links in the digest: %v", found)
	}
	approve := found[0]

	// frequency: not again within 12 hours, again after
	if n, _ := notify.Digest(app, now.Add(time.Hour)); n != 0 {
		t.Fatalf("a second digest an hour later: %d", n)
	}

	status, body := get(t, approve)
	if status != 200 || !strings.Contains(body, "150.00 CNY") || !strings.Contains(body, "Acme") || !strings.Contains(body, "<form") {
		t.Fatalf("GET %d: %s", status, body)
	}
	if got := e.o.Reload(t, x); got.GetString("status") != "submitted" || approvals(t, app, x.Id) != 0 {
		t.Fatalf("GET changed the expense: %s, %d approvals", got.GetString("status"), approvals(t, app, x.Id))
	}

	status, body = post(t, approve, url.Values{"note": {"ok by mail"}, "acknowledge_flags": {"on"}})
	if status != 200 {
		t.Fatalf("POST %d: %s", status, body)
	}
	got := e.o.Reload(t, x)
	if got.GetString("status") != "approved" || got.GetString("decision_note") != "ok by mail" {
		t.Fatalf("expense after the link: %s %q", got.GetString("status"), got.GetString("decision_note"))
	}
	ap, err := app.FindFirstRecordByFilter("approvals", "expense = {:x}", dbx.Params{"x": x.Id})
	if err != nil || ap.GetString("approver") != e.o.Users["mia"].Id || !ap.GetBool("final") {
		t.Fatalf("approval: %v %v", ap, err)
	}
	e.inbox.Next(t) // rita's decision notice

	if status, body = post(t, approve, url.Values{}); status != http.StatusGone || !strings.Contains(body, "已被使用") {
		t.Fatalf("reused link: %d %s", status, body)
	}
	if approvals(t, app, x.Id) != 1 {
		t.Fatal("the reused link wrote an approval")
	}

	// nothing waits any more: no digest, even when one is due
	if n, _ := notify.Digest(app, now.Add(13*time.Hour)); n != 0 {
		t.Fatalf("digest with nothing waiting: %d", n)
	}
	e.submitted(t, 120)
	if n, _ := notify.Digest(app, now.Add(13*time.Hour)); n != 1 {
		t.Fatalf("digest 13 hours later: %d", n)
	}
	e.inbox.Next(t)
}

// A link is void once its record changes, and a forged, altered, expired
// or rotated-away token gets a clear 4xx page; nothing is written.
func TestLinksRefused(t *testing.T) {
	e := setup(t)
	app := e.o.App
	_, x := e.submitted(t, 150)
	mia := e.o.Users["mia"].Id
	approve, err := links.ApprovalURL(app, mia, x, "approve")
	if err != nil {
		t.Fatal(err)
	}

	token := approve[strings.LastIndex(approve, "/")+1:]
	parts := strings.Split(token, ".")
	forged := strings.Join([]string{parts[0], parts[1], strings.Repeat("A", len(parts[2]))}, ".")
	altered := strings.Join([]string{parts[0], parts[1] + "x", parts[2]}, ".")
	expiredToken, err := links.Sign(app, links.Claims{Kind: links.KindApproval, Collection: "expenses", Record: x.Id,
		Version: x.GetInt("version"), Decision: "approve"}, -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	base := approve[:strings.LastIndex(approve, "/")+1]
	for name, c := range map[string]struct {
		link   string
		status int
	}{
		"forged signature": {base + forged, 400},
		"altered claims":   {base + altered, 400},
		"expired":          {links.URL(app, expiredToken), 410},
	} {
		if status, body := get(t, c.link); status != c.status || !strings.Contains(body, "无法使用") {
			t.Errorf("%s: GET %d %s", name, status, body)
		}
		if status, _ := post(t, c.link, url.Values{}); status != c.status {
			t.Errorf("%s: POST %d", name, status)
		}
	}

	// the expense changes (rita withdraws and resubmits): the link is void
	for _, s := range []string{"draft", "submitted"} {
		fresh := e.o.Reload(t, x)
		fresh.Set("status", s)
		if err := flow.Save(app, e.o.Users["rita"], fresh); err != nil {
			t.Fatal(err)
		}
	}
	if status, body := post(t, approve, url.Values{}); status != http.StatusConflict || !strings.Contains(body, "已有变化") {
		t.Fatalf("link after a change: %d %s", status, body)
	}

	// the request now waits for someone else: mia's link is void
	if _, err := app.DB().Update("expenses", dbx.Params{"approver": e.o.Users["max"].Id}, dbx.HashExp{"id": x.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	forMia, _ := links.ApprovalURL(app, mia, e.o.Reload(t, x), "approve")
	if status, body := post(t, forMia, url.Values{}); status != http.StatusConflict || !strings.Contains(body, "不再等待您") {
		t.Fatalf("link of a former approver: %d %s", status, body)
	}
	if _, err := app.DB().Update("expenses", dbx.Params{"approver": mia}, dbx.HashExp{"id": x.Id}).Execute(); err != nil {
		t.Fatal(err)
	}

	// a fresh link works until the secret is rotated
	fresh, _ := links.ApprovalURL(app, mia, e.o.Reload(t, x), "approve")
	if err := links.Rotate(app); err != nil {
		t.Fatal(err)
	}
	if status, _ := post(t, fresh, url.Values{}); status != 400 {
		t.Fatalf("link after rotation: %d", status)
	}
	if approvals(t, app, x.Id) != 0 || e.o.Reload(t, x).GetString("status") != "submitted" {
		t.Fatal("a refused link wrote something")
	}
}

// A link decides through the rules: a request wrongly waiting on its own
// requester is refused as self-approval; a flagged expense needs the
// acknowledge box.
func TestLinksObeyTheRules(t *testing.T) {
	e := setup(t)
	app := e.o.App
	_, x := e.submitted(t, 150) // flagged: no visit that day
	if len(x.GetStringSlice("flags")) == 0 {
		t.Fatalf("expense not flagged: %v", x.Get("flags"))
	}
	approve, _ := links.ApprovalURL(app, e.o.Users["mia"].Id, x, "approve")
	if status, body := get(t, approve); status != 200 || !strings.Contains(body, "acknowledge_flags") {
		t.Fatalf("flagged page: %d %s", status, body)
	}
	if status, body := post(t, approve, url.Values{}); status != 400 || approvals(t, app, x.Id) != 0 {
		t.Fatalf("flags not acknowledged: %d %s", status, body)
	}
	if status, body := post(t, approve, url.Values{"acknowledge_flags": {"on"}}); status != 200 {
		t.Fatalf("acknowledged: %d %s", status, body)
	}
	if e.o.Reload(t, x).GetString("status") != "approved" {
		t.Fatal("not approved")
	}

	_, y := e.submitted(t, 120)
	rita := e.o.Users["rita"].Id
	if _, err := app.DB().Update("expenses", dbx.Params{"approver": rita}, dbx.HashExp{"id": y.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	self, _ := links.ApprovalURL(app, rita, e.o.Reload(t, y), "approve")
	status, body := post(t, self, url.Values{"acknowledge_flags": {"on"}})
	if status != http.StatusForbidden || !strings.Contains(body, "your own expense") || approvals(t, app, y.Id) != 0 {
		t.Fatalf("self-approval by link: %d %s", status, body)
	}
}

// The link pages are rate limited per IP (PocketBase's rule "/l/").
func TestLinksRateLimited(t *testing.T) {
	e := setup(t)
	status := 0
	for range 31 {
		status, _ = get(t, e.url+"/l/not-a-token")
	}
	if status != http.StatusTooManyRequests {
		t.Fatalf("31st request: %d", status)
	}
}

// A reject link rejects with the note, and the rep is told (in English,
// her language) by notice and mail.
func TestRejectByLink(t *testing.T) {
	e := setup(t)
	app := e.o.App
	rita := e.o.Reload(t, e.o.Users["rita"])
	rita.Set("language", "en")
	if err := testkit.Save(app, nil, rita); err != nil {
		t.Fatal(err)
	}
	_, x := e.submitted(t, 150)
	reject, _ := links.ApprovalURL(app, e.o.Users["mia"].Id, x, "reject")
	if status, body := post(t, reject, url.Values{"note": {"Not this restaurant"}}); status != 200 {
		t.Fatalf("reject: %d %s", status, body)
	}
	if got := e.o.Reload(t, x); got.GetString("status") != "rejected" {
		t.Fatalf("expense %s", got.GetString("status"))
	}
	m := e.inbox.Next(t)
	if m.To[0] != "rita@example.com" || !strings.Contains(m.Subject, "Expense rejected") || !strings.Contains(m.Text, "Not this restaurant") {
		t.Fatalf("rita's mail: %v %s\n%s", m.To, m.Subject, m.Text)
	}
}

// Rotation voids every link made before it: by the command, or by a
// superuser through the API (nobody else).
func TestRotateSecret(t *testing.T) {
	e := setup(t)
	app := e.o.App
	_, x := e.submitted(t, 150)
	link, _ := links.ApprovalURL(app, e.o.Users["mia"].Id, x, "approve")
	token := link[strings.LastIndex(link, "/")+1:]
	cmd := links.Command(app)
	cmd.SetArgs([]string{"rotate-secret"})
	cmd.SetOut(io.Discard)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := links.Parse(app, token); err != links.ErrInvalid {
		t.Fatalf("a link from before the rotation: %v", err)
	}

	link, _ = links.ApprovalURL(app, e.o.Users["mia"].Id, x, "approve")
	token = link[strings.LastIndex(link, "/")+1:]
	if status, _ := e.call(t, "ada", "POST", "/api/links/rotate-secret", nil); status != http.StatusForbidden {
		t.Fatalf("an admin user rotates: %d", status)
	}
	if _, err := links.Parse(app, token); err != nil {
		t.Fatalf("refused rotation changed the secret: %v", err)
	}
	if status, res := e.call(t, "superuser", "POST", "/api/links/rotate-secret", nil); status != 200 {
		t.Fatalf("superuser rotates: %d %v", status, res)
	}
	if _, err := links.Parse(app, token); err != links.ErrInvalid {
		t.Fatalf("a link from before the API rotation: %v", err)
	}
}
