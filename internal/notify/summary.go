package notify

import (
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/mail"
	"rapport/internal/org"
)

// summaryHour is when managers get their daily summary, in org time.
const summaryHour = 8

// SummaryCron is the UTC cron expression of 08:00 in loc today (PocketBase's
// cron runs in UTC; moving its zone would move every other job). The job
// reschedules itself after each run, so daylight-saving changes follow.
func SummaryCron(loc *time.Location, now time.Time) string {
	return org.DailyCron(loc, summaryHour, now)
}

// summary is one manager's daily mail.
type summary struct {
	Name     string
	Currency string
	Missed   []summaryLine
	Breached []summaryLine
	Budgets  []summaryLine
	Pending  []summaryLine
}

type summaryLine struct {
	Who, What, Day string
	Amount, Of     int64
	Percent        int
}

func (s *summary) empty() bool {
	return len(s.Missed)+len(s.Breached)+len(s.Budgets)+len(s.Pending) == 0
}

// Summary mails each manager and director what needs their eye in the teams
// they manage (at any depth): visits missed in the last day, complaints
// breached in the last day, budgets of those teams and their reps in force
// today past warn_at_percent, and requests still waiting for a decision.
// Nothing to say, no email; at most one a day per manager. It returns how
// many were sent.
func Summary(app core.App, now time.Time) (int, error) {
	settings, err := org.LoadSettings(app)
	if err != nil {
		return 0, err
	}
	var managers []*core.Record
	err = app.RecordQuery("users").
		Where(dbx.In("role", "manager", "director")).AndWhere(dbx.HashExp{"active": true}).
		AndWhere(dbx.NewExp("EXISTS (SELECT 1 FROM teams, json_each(teams.viewers) v WHERE v.value = users.id)")).
		OrderBy("id").All(&managers)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, m := range managers {
		if due, err := isDue(app, m.Id, "summary", now, 24*time.Hour); err != nil {
			return sent, err
		} else if !due {
			continue
		}
		s, err := summarise(app, m, settings, now)
		if err != nil {
			return sent, err
		}
		if s.empty() {
			continue
		}
		if err := mail.Send(app, mail.Message{To: mail.To(m), Lang: mail.Lang(m), Name: "summary", Data: s}); err != nil {
			app.Logger().Error("notify: summary not sent", "manager", m.Id, "error", err)
			continue
		}
		if err := markSent(app, m.Id, "summary", now); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// inTeams restricts a query on alias's team to the teams m views.
func inTeams(alias string) string {
	return alias + `.team IN (SELECT teams.id FROM teams, json_each(teams.viewers) v WHERE v.value = {:m})`
}

func summarise(app core.App, m *core.Record, settings *org.Settings, now time.Time) (*summary, error) {
	s := &summary{Name: m.GetString("name"), Currency: settings.Currency}
	since := now.Add(-24 * time.Hour).UTC().Format("2006-01-02 15:04:05.000Z")
	params := dbx.Params{"m": m.Id, "since": since, "today": settings.Today(now)}
	q := func(into *[]summaryLine, sql string) error {
		return app.DB().NewQuery(sql).Bind(params).All(into)
	}
	err := q(&s.Missed, `SELECT u.name AS who, c.name AS what, x.due_date AS day, 0 AS amount, 0 AS of, 0 AS percent
		FROM visits x JOIN users u ON u.id = x.rep JOIN customers c ON c.id = x.customer
		WHERE x.status = 'missed' AND x.updated >= {:since} AND `+inTeams("x")+` ORDER BY x.due_date, x.id`)
	if err != nil {
		return nil, err
	}
	if _, err := app.FindCachedCollectionByNameOrId("complaints"); err == nil {
		err = q(&s.Breached, `SELECT u.name AS who, c.name || ': ' || x.summary AS what, substr(x.response_due, 1, 16) AS day, 0 AS amount, 0 AS of, 0 AS percent
			FROM complaints x JOIN users u ON u.id = x.owner JOIN customers c ON c.id = x.customer
			WHERE x.breached = TRUE AND x.updated >= {:since} AND `+inTeams("x")+` ORDER BY x.response_due, x.id`)
		if err != nil {
			return nil, err
		}
	}
	err = q(&s.Budgets, `SELECT COALESCE(u.name, t.name, '') AS who, b.name AS what, b.period_end AS day, b.committed AS amount, b.amount AS of,
			CAST(b.committed * 100 / b.amount AS INTEGER) AS percent
		FROM budgets b LEFT JOIN users u ON u.id = b.rep LEFT JOIN teams t ON t.id = b.team
		WHERE b.amount > 0 AND b.committed * 100 >= b.amount * (CASE WHEN b.warn_at_percent > 0 THEN b.warn_at_percent ELSE 80 END)
			AND b.period_start <= {:today} AND b.period_end >= {:today}
			AND ((b.scope = 'team' AND `+inTeams("b")+`) OR (b.scope = 'rep' AND `+inTeams("u")+`))
		ORDER BY percent DESC, b.id`)
	if err != nil {
		return nil, err
	}
	err = q(&s.Pending, `SELECT u.name AS who, x.category || CASE WHEN x.description != '' THEN ': ' || x.description ELSE '' END AS what,
			substr(x.submitted_at, 1, 10) AS day, x.amount AS amount, 0 AS of, 0 AS percent
		FROM expenses x JOIN users u ON u.id = x.rep WHERE x.status = 'submitted' AND `+inTeams("x")+`
		UNION ALL
		SELECT u.name, x.title, substr(x.updated, 1, 10), x.budget, 0, 0
		FROM plans x JOIN users u ON u.id = x.owner WHERE x.status = 'submitted' AND `+inTeams("x")+`
		ORDER BY day, who`)
	if err != nil {
		return nil, err
	}
	return s, nil
}
