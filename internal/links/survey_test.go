package links_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"rapport/internal/flow"
	"rapport/internal/testkit"
)

// call sends a JSON request as user name ("" for a guest, or "superuser")
// over HTTP.
func (e *env) call(t *testing.T, as, method, path string, body any) (int, map[string]any) {
	t.Helper()
	res := e.rest.Do(as, method, path, body)
	return res.Status, res.JSON()
}

func code(res map[string]any, field string) string {
	data, _ := res["data"].(map[string]any)
	f, _ := data[field].(map[string]any)
	c, _ := f["code"].(string)
	return c
}

// Rita sends a survey link to a contact of Acme; the contact rates the
// visit once, without an account; the answer lands on the visit as a
// server field.
func TestSurveyRoundTrip(t *testing.T) {
	e := setup(t)
	app := e.o.App
	acme := e.o.Reload(t, e.o.Customers["rita"])
	acme.Set("contacts", []map[string]any{{"name": "Li Wei", "email": "li.wei@acme.example"}})
	if err := flow.Save(app, nil, acme); err != nil {
		t.Fatal(err)
	}
	visit := testkit.MustCreate(t, app, nil, "visits", map[string]any{"customer": acme.Id, "status": "done", "due_date": testkit.Day(-1)})
	path := "/api/visits/" + visit.Id + "/survey"

	for _, c := range []struct {
		as, email string
		status    int
		code      string
	}{
		{"", "li.wei@acme.example", 401, ""},
		{"rob", "li.wei@acme.example", 404, ""}, // not in his sight
		{"mia", "li.wei@acme.example", 403, "forbidden"},
		{"rita", "rita@example.com", 400, "not_a_contact"},
		{"rita", "", 400, "validation_required"},
	} {
		status, res := e.call(t, c.as, "POST", path, map[string]any{"email": c.email})
		if status != c.status || code(res, firstKey(res)) != c.code {
			t.Errorf("%s sends to %q: %d %v", c.as, c.email, status, res)
		}
	}
	planned := testkit.MustCreate(t, app, nil, "visits", map[string]any{"customer": acme.Id, "status": "scheduled", "due_date": testkit.Day(1)})
	if status, res := e.call(t, "rita", "POST", "/api/visits/"+planned.Id+"/survey", map[string]any{"email": "li.wei@acme.example"}); status != 400 || code(res, "status") != "visit_not_done" {
		t.Errorf("survey of a scheduled visit: %d %v", status, res)
	}
	for _, body := range []string{`{"email": `, `["li.wei@acme.example"]`, `{"email": 7}`} { // sent as is
		if status, res := e.call(t, "rita", "POST", path, body); status != 400 || code(res, "email") != "invalid_type" {
			t.Errorf("survey request %s: %d %v", body, status, res)
		}
	}
	e.inbox.None(t, 0)

	status, res := e.call(t, "rita", "POST", path, map[string]any{"email": "LI.WEI@acme.example"})
	if status != 200 || res["sent"] != true {
		t.Fatalf("survey request: %d %v", status, res)
	}
	m := e.inbox.Next(t)
	link := linkPattern.FindString(m.Text)
	if len(m.To) != 1 || m.To[0] != "LI.WEI@acme.example" || link == "" || !strings.Contains(m.HTML, link) || !strings.Contains(m.Text, "Acme") {
		t.Fatalf("survey mail to %v: %s\n%s", m.To, m.Subject, m.Text)
	}

	if status, body := get(t, link); status != 200 || !strings.Contains(body, `name="rating"`) {
		t.Fatalf("survey page: %d %s", status, body)
	}
	if status, _ := post(t, link, url.Values{"rating": {"9"}}); status != 400 {
		t.Fatalf("rating 9: %d", status)
	}
	if status, body := post(t, link, url.Values{"rating": {"4"}, "comment": {"Very helpful"}}); status != 200 || !strings.Contains(body, "谢谢") {
		t.Fatalf("answer: %d %s", status, body)
	}
	v := e.o.Reload(t, visit)
	if v.GetInt("survey_rating") != 4 || v.GetString("survey_comment") != "Very helpful" || v.GetDateTime("survey_at").IsZero() {
		t.Fatalf("visit after the survey: %v", v.FieldsData())
	}
	// the customer's own rating counts in their satisfaction average
	if avg := e.o.Reload(t, acme).GetFloat("satisfaction_avg"); avg != 4 {
		t.Fatalf("Acme's satisfaction_avg after a 4-star survey: %v", avg)
	}
	if status, _ := post(t, link, url.Values{"rating": {"1"}}); status != http.StatusGone {
		t.Fatalf("second answer: %d", status)
	}
	if e.o.Reload(t, visit).GetInt("survey_rating") != 4 {
		t.Fatal("the second answer overwrote the first")
	}
	// the answer is the customer's: the rep cannot change it, nor ask again
	if status, res := e.call(t, "rita", "PATCH", "/api/collections/visits/records/"+visit.Id, map[string]any{"survey_rating": 5}); status != 400 || code(res, "survey_rating") != "read_only" {
		t.Fatalf("rep edits the rating: %d %v", status, res)
	}
	if status, res := e.call(t, "rita", "POST", path, map[string]any{"email": "li.wei@acme.example"}); status != 400 || code(res, "survey_at") != "locked" {
		t.Fatalf("survey asked again: %d %v", status, res)
	}
}

func firstKey(res map[string]any) string {
	data, _ := res["data"].(map[string]any)
	for k := range data {
		return k
	}
	return ""
}
