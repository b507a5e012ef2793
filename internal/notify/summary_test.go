package notify_test

import (
	"strings"
	"testing"
	"time"

	"rapport/internal/mail/mailtest"
	"rapport/internal/notify"
	"rapport/internal/org"
	"rapport/internal/testkit"
)

// Each manager's daily summary covers the teams they manage: Mia, Max and
// Dana (above field) hear of field's missed visit, warned budget and
// waiting expense; Eve, whose team has nothing, gets no mail; nobody gets a
// second one the same day.
func TestManagerSummary(t *testing.T) {
	app, o, _ := setup(t)
	inbox := mailtest.Start(t, app)
	o.Budget(t, "team", "warn", 170, map[string]any{"team": o.Teams["field"].Id, "name": "Field care"})
	o.Submitted(t, 5000, 150)
	testkit.MustCreate(t, app, nil, "visits", map[string]any{"customer": o.Customers["rita"].Id, "status": "missed", "due_date": testkit.Day(-1)})

	now := time.Now()
	if n, err := notify.Summary(app, now); err != nil || n != 3 {
		t.Fatalf("summaries sent: %d, %v", n, err)
	}
	got := map[string]mailtest.Mail{}
	for range 3 {
		m := inbox.Next(t)
		got[m.To[0]] = m
	}
	for _, who := range []string{"mia", "max", "dana"} {
		m, ok := got[who+"@example.com"]
		if !ok {
			t.Fatalf("%s got no summary: %v", who, got)
		}
		for _, want := range []string{"Acme", testkit.Day(-1), "Field care", "150.00 CNY", "170.00 CNY", "88%", "client lunch"} {
			if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
				t.Errorf("%s's summary lacks %q:\n%s", who, want, m.Text)
			}
		}
	}
	if n, _ := notify.Summary(app, now.Add(time.Hour)); n != 0 {
		t.Fatalf("second summary the same day: %d", n)
	}
	inbox.None(t, 100*time.Millisecond)
}

// The summary runs at 08:00 org time, written as a UTC cron expression.
func TestSummaryCron(t *testing.T) {
	for zone, want := range map[string]string{"Asia/Shanghai": "0 0 * * *", "UTC": "0 8 * * *", "Asia/Kolkata": "30 2 * * *", "America/New_York": "0 13 * * *"} {
		loc, err := org.Zone(zone)
		if err != nil {
			t.Fatal(err)
		}
		winter := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
		if got := notify.SummaryCron(loc, winter); got != want {
			t.Errorf("%s: %s, want %s", zone, got, want)
		}
	}
}
