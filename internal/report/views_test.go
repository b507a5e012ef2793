package report_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// yuanText writes minor units as the dashboard views do ("-1,234.50").
func yuanText(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	whole := fmt.Sprint(minor / 100)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return fmt.Sprintf("%s%s.%02d", sign, whole, minor%100)
}

// TestDashboardViews: the report views show finance and admin the figures
// the report API gives them, in yuan, and show nothing to anyone else.
func TestDashboardViews(t *testing.T) {
	w := newWorld(t)
	w.from, w.to = "2000-01-01", "2100-12-31"
	for _, as := range []string{"fay", "ada"} {
		report := w.run(t, as, "spend", "tier,month")
		rows := map[string]map[string]any{}
		for _, r := range w.records(t, as, "report_spend_tier_month") {
			rows[str(r, "tier")+"|"+str(r, "month")] = r
		}
		got := report["rows"].([]any)
		if len(got) == 0 || len(got) != len(rows) {
			t.Fatalf("%s: the report has %d tier-months, the view %d", as, len(got), len(rows))
		}
		for _, r := range got {
			r := r.(map[string]any)
			for _, f := range []string{"committed", "approved", "paid"} {
				if v, want := str(rows[str(r, "key")], f), yuanText(int64(num(r, f))); v != want {
					t.Errorf("%s: report_spend_tier_month %s %s = %q, the report says %q", as, str(r, "key"), f, v, want)
				}
			}
		}

		budgets := map[string]map[string]any{}
		for _, b := range w.records(t, as, "report_budgets") {
			budgets[str(b, "id")] = b
		}
		for _, r := range w.run(t, as, "budgets", "")["rows"].([]any) {
			r := r.(map[string]any)
			if str(r, "kind") != "budget" {
				continue
			}
			b := budgets[str(r, "key")]
			for _, f := range []string{"budget", "committed", "spent", "remaining"} {
				if v, want := str(b, f), yuanText(int64(num(r, f))); v != want {
					t.Errorf("%s: report_budgets %s %s = %q, the report says %q", as, str(r, "label"), f, v, want)
				}
			}
			if str(b, "status") != str(r, "status") || num(b, "utilisation") != num(r, "utilisation") {
				t.Errorf("%s: report_budgets %s: %v %v%%, the report says %v %v%%", as, str(r, "label"),
					b["status"], b["utilisation"], r["status"], r["utilisation"])
			}
		}
	}
	for _, as := range []string{"rita", "mia", "dana"} {
		for _, view := range []string{"report_spend_tier_month", "report_spend_team_month", "report_budgets"} {
			res := w.client.Do(as, "GET", "/api/collections/"+view+"/records?"+url.Values{"perPage": {"1"}}.Encode(), nil)
			if res.Status != 200 || !strings.Contains(string(res.Body), `"totalItems":0`) {
				t.Errorf("%s lists %s: %d %s", as, view, res.Status, res.Body)
			}
		}
	}
}
