// Package report answers GET /api/reports/{name}: the spend, budgets,
// visits, roi, complaints and audit figures of docs/reports.md, in JSON or
// CSV. Reports only read. Each counts the records the caller may list
// through the records API (scope.go), so a rep gets their own figures, a
// manager their teams' and finance and admin everything.
package report

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/org"
	"rapport/internal/violation"
)

// definition is one report: the groupings it accepts (the first is the
// default; none when it has no grouping) and how it runs.
type definition struct {
	groupBy    []string
	maxGroupBy int // how many groupings may be combined ("tier,month")
	run        func(q *Query) (*Result, error)
}

var reports = map[string]definition{
	"spend":      spendReport,
	"budgets":    budgetsReport,
	"visits":     visitsReport,
	"roi":        roiReport,
	"complaints": complaintsReport,
	"audit":      auditReport,
}

// Query is one report request: who asks and over what.
type Query struct {
	App      core.App
	Auth     *core.Record
	Settings *org.Settings
	From, To string   // org days, inclusive
	GroupBy  []string // the chosen groupings, in order
}

// Register binds the report routes to app.
func Register(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/api/reports/{name}", handle).Bind(apis.RequireAuth())
		return se.Next()
	})
}

func handle(e *core.RequestEvent) error {
	name := e.Request.PathValue("name")
	def, ok := reports[name]
	if !ok {
		return e.NotFoundError("There is no report called "+name+". Reports: audit, budgets, complaints, roi, spend, visits.", nil)
	}
	settings, err := org.LoadSettings(e.App)
	if err != nil {
		return err
	}
	params := e.Request.URL.Query()
	q, err := parse(e.App, e.Auth, settings, def, params.Get("from"), params.Get("to"), params.Get("groupBy"))
	if err != nil {
		return err
	}
	format := params.Get("format")
	if format != "" && format != "json" && format != "csv" {
		return violation.New("format", "invalid_value", "format must be json or csv, not %q.", format)
	}
	res, err := Run(q, name)
	if err != nil {
		return e.InternalServerError("The report could not be computed.", err)
	}
	if format == "csv" {
		return writeCSV(e, res)
	}
	return e.JSON(http.StatusOK, res)
}

// Run answers report name for q.
func Run(q *Query, name string) (*Result, error) {
	res, err := reports[name].run(q)
	if err != nil {
		return nil, err
	}
	res.Report, res.From, res.To, res.Currency = name, q.From, q.To, q.Settings.Currency
	res.GroupBy = strings.Join(q.GroupBy, ",")
	return res, nil
}

// NewQuery checks a report's parameters as the route does ("" for a
// default) and returns the query for auth.
func NewQuery(app core.App, auth *core.Record, name, from, to, groupBy string) (*Query, error) {
	def, ok := reports[name]
	if !ok {
		return nil, violation.New("name", "invalid_value", "There is no report called %s.", name)
	}
	settings, err := org.LoadSettings(app)
	if err != nil {
		return nil, err
	}
	return parse(app, auth, settings, def, from, to, groupBy)
}

// parse checks the parameters: days in the org time zone, from ≤ to, and
// groupings the report knows. By default a report covers this calendar year
// up to today.
func parse(app core.App, auth *core.Record, s *org.Settings, def definition, from, to, groupBy string) (*Query, error) {
	today := s.Today(time.Now())
	q := &Query{App: app, Auth: auth, Settings: s, From: today[:4] + "-01-01", To: today}
	for _, p := range []struct {
		name, value string
		into        *string
	}{{"from", from, &q.From}, {"to", to, &q.To}} {
		if p.value == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, p.value); err != nil {
			return nil, violation.New(p.name, "invalid_value", "%s must be a day as YYYY-MM-DD (got %q).", p.name, p.value)
		}
		*p.into = p.value
	}
	if q.From > q.To {
		return nil, violation.New("to", "invalid_value", "to (%s) is before from (%s).", q.To, q.From)
	}
	if len(def.groupBy) == 0 {
		if groupBy != "" {
			return nil, violation.New("groupBy", "invalid_value", "This report has no grouping (got %q).", groupBy)
		}
		return q, nil
	}
	if groupBy == "" {
		q.GroupBy = def.groupBy[:1]
		return q, nil
	}
	for _, g := range strings.Split(groupBy, ",") {
		if !slices.Contains(def.groupBy, g) || slices.Contains(q.GroupBy, g) {
			return nil, violation.New("groupBy", "invalid_value", "groupBy must be one of %s (got %q).", strings.Join(def.groupBy, ", "), groupBy)
		}
		q.GroupBy = append(q.GroupBy, g)
	}
	if len(q.GroupBy) > max(def.maxGroupBy, 1) {
		return nil, violation.New("groupBy", "invalid_value", "groupBy takes at most %d groupings (got %q).", max(def.maxGroupBy, 1), groupBy)
	}
	return q, nil
}

// Instants returns the UTC bounds [start, end) of the org days From..To, as
// PocketBase stores datetimes, for reports on instants (received_at).
func (q *Query) Instants() (string, string) {
	start, _ := q.Settings.ParseDay(q.From)
	end, _ := q.Settings.ParseDay(q.To)
	end = end.AddDate(0, 0, 1)
	const layout = "2006-01-02 15:04:05.000Z"
	return start.UTC().Format(layout), end.UTC().Format(layout)
}
